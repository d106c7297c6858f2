"""Resolving expressions of a script to the string values they must have, statically.

A value is known when it is a string literal, a module-level constant (annotated or not, also one
defined from other constants), a class attribute (``Env.LABEL``, ``Env.LABEL.value``;
``Env.LABEL.name`` is ``"LABEL"``), an f-string or ``+`` of known values, or a loop variable over
a constant sequence (the caller passes those as ``loops``). An enum class is the sequence of its
members' values, so ``for env in Env`` binds ``env`` (and ``env.value``) to every one. Several
values are possible for a loop variable; at most 64 combinations are followed.

Examples
--------
>>> import ast
>>> tree = ast.parse("PREFIX = 'LABEL'\\nNAMES = ('A', 'B')\\nclass Env(enum.Enum):\\n    X = 'X_VAR'")
>>> constants, sequences, _ = module_constants(tree)
>>> resolve(ast.parse("f'{PREFIX}_FIELD'", mode="eval").body, constants, {})
('LABEL_FIELD',)
>>> resolve(ast.parse("Env.X.value", mode="eval").body, constants, {})
('X_VAR',)
>>> resolve_sequence(ast.parse("NAMES", mode="eval").body, constants, {}, sequences)
('A', 'B')
>>> resolve(ast.parse("env.value", mode="eval").body, constants, {"env": sequences["Env"]})
('X_VAR',)
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Mapping, Sequence

__all__ = ["Scope", "bind_import_aliases", "module_constants", "resolve", "resolve_sequence"]

_MAX_VALUES = 64

Scope = Mapping[str, tuple[str, ...]]
"""Names to their possible string values."""

def module_constants(tree: ast.Module) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], dict[str, int]]:
    """Module and class-level constants: strings (name -> 1-tuple), string sequences, and lines."""
    values: dict[str, tuple[str, ...]] = {}
    sequences: dict[str, tuple[str, ...]] = {}
    lines: dict[str, int] = {}

    def bind(prefix: str, body: Sequence[ast.stmt]) -> None:
        for statement in body:
            targets: list[ast.expr]
            if isinstance(statement, ast.Assign):
                targets, value = statement.targets, statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                targets, value = [statement.target], statement.value
            elif isinstance(statement, ast.ClassDef) and not prefix:
                bind(f"{statement.name}.", statement.body)
                if _is_enum(statement):
                    members = [v for k, v in values.items() if k.startswith(f"{statement.name}.")]
                    sequences[statement.name] = tuple(value for (value,) in members)
                continue
            else:
                continue
            scalar = resolve(value, values, {})
            items = resolve_sequence(value, values, {}, sequences) if scalar is None else None
            for target in targets:
                if isinstance(target, ast.Name) and scalar is not None and len(scalar) == 1:
                    values[prefix + target.id] = scalar
                    lines[prefix + target.id] = statement.lineno
                elif isinstance(target, ast.Name) and items is not None:
                    sequences[prefix + target.id] = items

    bind("", tree.body)
    return values, sequences, lines



def _is_enum(node: ast.ClassDef) -> bool:
    """A class derived from ``Enum`` (or ``enum.Enum``, ``StrEnum``, ...): iterating it yields its members."""
    return any((base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else "")
               .endswith("Enum") for base in node.bases)


def bind_import_aliases(tree: ast.Module, constants: dict[str, tuple[str, ...]],
                        sequences: dict[str, tuple[str, ...]]) -> None:
    """Bind ``from m import NAME as ALIAS``: the alias resolves as NAME (and ``ALIAS.X`` as ``NAME.X``).

    Examples
    --------
    >>> constants, sequences = {"Env.X": ("X_VAR",)}, {"Env": ("X_VAR",)}
    >>> bind_import_aliases(ast.parse("from .names import Env as E"), constants, sequences)
    >>> constants["E.X"], sequences["E"]
    (('X_VAR',), ('X_VAR',))
    """
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        for alias in node.names:
            if alias.asname is None or alias.asname == alias.name:
                continue
            for scope in (constants, sequences):
                for name, value in list(scope.items()):
                    if name == alias.name:
                        scope[alias.asname] = value
                    elif name.startswith(f"{alias.name}."):
                        scope[alias.asname + name[len(alias.name):]] = value


def resolve_sequence(node: ast.expr, constants: Scope, loops: Scope, sequences: Scope) -> tuple[str, ...] | None:
    """The string items of a constant tuple/list/set, or of a name bound to one."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        items: list[str] = []
        for element in node.elts:
            resolved = resolve(element, constants, loops)
            if resolved is None or len(resolved) != 1:
                return None
            items += resolved
        return tuple(items)
    if isinstance(node, ast.Name):
        return loops.get(node.id, sequences.get(node.id))
    return None


def resolve(node: ast.expr, constants: Scope, loops: Scope) -> tuple[str, ...] | None:
    """The possible string values of an expression, or None when it is not a known constant."""
    if isinstance(node, ast.Constant):
        return (node.value,) if isinstance(node.value, str) else None
    if isinstance(node, ast.Name):
        if node.id in loops:
            return loops[node.id]
        value = constants.get(node.id)
        return value if value is not None and len(value) == 1 else None
    if isinstance(node, ast.Attribute):
        if node.attr == "value" and isinstance(node.value, ast.Name) and node.value.id in loops:
            return loops[node.value.id]  # a loop over an enum binds its members' values
        # Cls.ATTR and Cls.ATTR.value -> the constant; Cls.ATTR.name -> "ATTR"
        outer = node.attr if isinstance(node.value, ast.Attribute) else None
        inner = node.value if isinstance(node.value, ast.Attribute) else node
        if isinstance(inner.value, ast.Name) and outer in (None, "value", "name"):
            value = constants.get(f"{inner.value.id}.{inner.attr}")
            if value is not None and len(value) == 1:
                return (inner.attr,) if outer == "name" else value
        return None
    if isinstance(node, ast.JoinedStr):
        parts: list[tuple[str, ...]] = []
        for part in node.values:
            piece = part.value if isinstance(part, ast.FormattedValue) else part
            resolved = resolve(piece, constants, loops)
            if resolved is None or (isinstance(part, ast.FormattedValue) and part.format_spec is not None):
                return None
            parts.append(resolved)
        return _combine(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = resolve(node.left, constants, loops), resolve(node.right, constants, loops)
        if left is None or right is None:
            return None
        return _combine([left, right])
    return None


def _combine(parts: Sequence[tuple[str, ...]]) -> tuple[str, ...] | None:
    size = 1
    for part in parts:
        size *= len(part)
    if size > _MAX_VALUES:
        return None
    return tuple("".join(combo) for combo in itertools.product(*parts))
