"""Static analysis of a processing script: what it reads, parses, imports and writes.

The script is parsed with :mod:`ast`; it is never imported or executed. Names are resolved
through string literals, module-level name constants (``ENV_LABEL_FIELD = "LABEL_FIELD"``,
also annotated ones and ones defined from other constants), class attributes
(``Env.LABEL_FIELD`` and ``Env.LABEL_FIELD.value``), f-strings and ``+`` of those, and loop
variables of ``for`` loops over constant tuples or over an enum class (``for env in Env``
reads every member where ``env`` or ``env.value`` is the key).

A script may be a package of modules (:func:`analyse_sources`): its modules are analysed as one
script. Their module constants form one scope (a constant defined in one module resolves where
another imports it, also under an ``import ... as`` alias; the package defines each name once),
an env helper defined in one module counts wherever it is called, and lines are those of the
module that holds the code. The step's shared definition (its interface module) only supplies
constants: what it spells is not the script's.

What counts
-----------
- Env reads: ``os.environ[K]``, ``os.environ.get(K[, default])`` (also ``pop``/``setdefault``),
  ``os.getenv(K[, default])``, the same on a name ``environ`` (the mapping passed to ``main``)
  and ``K in environ``. A read whose key is a parameter of its function (or its ``.value``, an
  enum member) makes that function an *env helper*: each call ``helper(..., "NAME", ...)`` is
  then a read of ``NAME``. A key that cannot be resolved is a *dynamic* read. A default that is
  not a constant (the interface's ``SETTING_SPECS[env].env_default``) is a default the checker
  does not compare with the contract's: both come from that one definition.
- Arguments: the flags of every ``<parser>.add_argument(...)`` call, with ``required``,
  ``choices`` and ``default`` when they are constants.
- Logical names: module constants named ``INPUT_<X>`` / ``OUTPUT_<X>`` with a string value.
- File writes: a call whose arguments mention exactly one output logical name (a constant or
  literal equal to one of ``output_names``) and a file name (a constant whose name ends in
  ``_FILE``, or a literal like ``metrics.json``) writes that file into that output, e.g.
  ``staging.path(OUTPUT_METRICS, METRICS_FILE)`` or ``os.path.join(outputs[OUTPUT_METRICS], "m.json")``.
- Imports: the top-level module of every absolute import, anywhere in the file; imports inside a
  ``try`` that catches ``ImportError`` are optional.
- Container paths: every string constant starting with or containing ``/opt/ml``, and every call
  whose constant arguments join into such a path (``os.path.join("/opt", "ml", ...)``).

Examples
--------
>>> source = '''
... import os
... import numpy as np
... ENV_LABEL = "LABEL_FIELD"
... OUTPUT_METRICS = "metrics_output"
... METRICS_FILE = "metrics.json"
... def main(environ, outputs):
...     label = environ.get(ENV_LABEL, "label")
...     path = os.path.join(outputs[OUTPUT_METRICS], METRICS_FILE)
... def parser(p):
...     p.add_argument("--job_type", choices=("a", "b"), default="a")
... '''
>>> facts = analyse_source(source, output_names=("metrics_output",))
>>> [(r.name, r.default) for r in facts.env_reads]
[('LABEL_FIELD', 'label')]
>>> [(a.flag, a.choices, a.default) for a in facts.arguments]
[('--job_type', ('a', 'b'), 'a')]
>>> [(w.output, w.file) for w in facts.file_writes]
[('metrics_output', 'metrics.json')]
>>> [i.module for i in facts.imports]
['numpy', 'os']
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path

import attrs

from calibration_step.checker.script_facts import (
    STDLIB_MODULES,
    ArgumentRead,
    ContainerPathLiteral,
    EnvRead,
    FileWrite,
    ImportedModule,
    LogicalNameConstant,
    ScriptFacts,
    is_file_name,
)
from calibration_step.checker.script_values import (
    Scope,
    bind_import_aliases,
    module_constants,
    resolve,
    resolve_sequence,
)

__all__ = [
    "ArgumentRead",
    "ContainerPathLiteral",
    "EnvRead",
    "FileWrite",
    "ImportedModule",
    "LogicalNameConstant",
    "STDLIB_MODULES",
    "ScriptFacts",
    "analyse_source",
    "analyse_sources",
    "is_file_name",
]

_ENV_METHODS = frozenset({"get", "pop", "setdefault"})


# ------------------------------------------------------------------------------------------
# The walk
# ------------------------------------------------------------------------------------------
def _is_env_mapping(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id == "environ"
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _is_getenv(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "getenv") or (
        isinstance(func, ast.Attribute) and func.attr == "getenv"
    )


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names: list[ast.expr] = []
    if handler.type is None:
        return True
    names = list(handler.type.elts) if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError", "Exception") for n in names)


@attrs.frozen(kw_only=True)
class _EnvHelper:
    """A function that reads the env var named by one of its parameters."""

    key_index: int
    key_param: str
    is_method: bool
    default_index: int | None
    default_param: str | None
    default_constant: tuple[str, ...] | None
    has_default: bool
    """The read has a default (a constant, a parameter, or the interface's ``SETTING_SPECS[...]``)."""


class _Walker:
    """One pass over the tree with loop-variable scopes; collects every fact."""

    def __init__(self, constants: Scope, sequences: Scope, output_names: Collection[str]) -> None:
        self.constants = constants
        self.sequences = sequences
        self.output_names = frozenset(output_names)
        self.loops: list[dict[str, tuple[str, ...]]] = [{}]
        self.params: list[list[str]] = [[]]
        self.function: list[str] = [""]
        self.optional_imports = 0
        self.env_reads: list[EnvRead] = []
        self.dynamic_env: list[int] = []
        self.helpers: dict[str, _EnvHelper] = {}
        self.arguments: list[ArgumentRead] = []
        self.dynamic_arguments: list[int] = []
        self.imports: list[ImportedModule] = []
        self.container_paths: list[ContainerPathLiteral] = []
        self.file_writes: list[FileWrite] = []
        self.strings: set[str] = set()
        self.attribute_calls: set[str] = set()
        self.calls: list[tuple[ast.Call, dict[str, tuple[str, ...]]]] = []
        """Every call with its loop scope: the second pass finds the env helpers among them."""

    # -- helpers ---------------------------------------------------------------------------
    def resolve(self, node: ast.expr) -> tuple[str, ...] | None:
        return resolve(node, self.constants, self.loops[-1])

    def _default(self, node: ast.expr | None) -> tuple[bool, str | None]:
        if node is None:
            return False, None
        resolved = self.resolve(node)
        return True, (resolved[0] if resolved is not None and len(resolved) == 1 else None)

    def _env_key(self, key: ast.expr, default: ast.expr | None, line: int) -> None:
        resolved = self.resolve(key)
        has_default, default_value = self._default(default)
        if resolved is not None:
            for name in resolved:
                self.env_reads.append(EnvRead(name=name, line=line, has_default=has_default, default=default_value))
            return
        params = self.params[-1]
        key_param = _parameter_key(key, params)
        if key_param is not None and self.function[-1]:
            default_param = default.id if isinstance(default, ast.Name) and default.id in params else None
            known = self.helpers.get(self.function[-1])
            self.helpers[self.function[-1]] = _EnvHelper(
                key_index=params.index(key_param),
                key_param=key_param,
                is_method=params[0] in ("self", "cls"),
                default_index=params.index(default_param) if default_param else None,
                default_param=default_param,
                default_constant=None if default is None or default_param else self.resolve(default),
                has_default=default is not None or (known is not None and known.has_default),
            )
            return
        self.dynamic_env.append(line)

    # -- visiting --------------------------------------------------------------------------
    def visit(self, node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._visit_function(node)
            return
        if isinstance(node, (ast.For, ast.AsyncFor)):
            self._visit_loop(node)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            self._visit_comprehension(node)
            return
        if isinstance(node, ast.Try):
            self._visit_try(node)
            return
        self._inspect(node)
        for child in ast.iter_child_nodes(node):
            self.visit(child)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        arguments = node.args
        names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.params.append(names)
        self.function.append(node.name)
        self.loops.append({k: v for k, v in self.loops[-1].items() if k not in names})
        for statement in node.body:
            self.visit(statement)
        self.loops.pop()
        self.function.pop()
        self.params.pop()

    def _bind(self, target: ast.expr, iterable: ast.expr) -> dict[str, tuple[str, ...]]:
        items = resolve_sequence(iterable, self.constants, self.loops[-1], self.sequences)
        scope = dict(self.loops[-1])
        if isinstance(target, ast.Name):
            if items is not None:
                scope[target.id] = items
            else:
                scope.pop(target.id, None)
        return scope

    def _visit_loop(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.loops.append(self._bind(node.target, node.iter))
        for child in (*node.body, *node.orelse):
            self.visit(child)
        self.loops.pop()

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        depth = len(self.loops)
        for generator in node.generators:
            self.visit(generator.iter)
            self.loops.append(self._bind(generator.target, generator.iter))
            for condition in generator.ifs:
                self.visit(condition)
        elements: tuple[ast.expr, ...] = (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,)
        for element in elements:
            self.visit(element)
        del self.loops[depth:]

    def _visit_try(self, node: ast.Try) -> None:
        optional = any(_catches_import_error(handler) for handler in node.handlers)
        self.optional_imports += optional
        for statement in node.body:
            self.visit(statement)
        self.optional_imports -= optional
        for child in (*node.handlers, *node.orelse, *node.finalbody):
            self.visit(child)

    def _inspect(self, node: ast.AST) -> None:
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
            named = self.resolve(node)
            if named is not None and len(named) == 1:
                self.strings.add(named[0])
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            self.strings.add(node.value)
            if "/opt/ml" in node.value:
                self.container_paths.append(ContainerPathLiteral(value=node.value, line=line))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                self.imports.append(ImportedModule(module=alias.name.split(".")[0], line=line,
                                                   optional=self.optional_imports > 0))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            self.imports.append(ImportedModule(module=node.module.split(".")[0], line=line,
                                               optional=self.optional_imports > 0))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _is_env_mapping(node.value):
            self._env_key(node.slice, None, line)
        elif isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            if _is_env_mapping(node.comparators[0]):
                self._env_key(node.left, None, line)
        elif isinstance(node, ast.Call):
            self._inspect_call(node, line)

    def _inspect_call(self, node: ast.Call, line: int) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            self.attribute_calls.add(func.attr)
        if _callee_name(func):
            self.calls.append((node, self.loops[-1]))
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if isinstance(func, ast.Attribute) and func.attr in _ENV_METHODS and _is_env_mapping(func.value) and node.args:
            self._env_key(node.args[0], node.args[1] if len(node.args) > 1 else keywords.get("default"), line)
        elif _is_getenv(func) and node.args:
            self._env_key(node.args[0], node.args[1] if len(node.args) > 1 else keywords.get("default"), line)
        elif isinstance(func, ast.Attribute) and func.attr == "add_argument":
            self._argument(node, keywords, line)
        self._container_join(node, line)
        self._file_write(node, line)

    def _argument(self, node: ast.Call, keywords: Mapping[str, ast.expr], line: int) -> None:
        flags: list[str] = []
        for arg in node.args:
            resolved = self.resolve(arg)
            if resolved is None:
                self.dynamic_arguments.append(line)
                return
            flags += resolved
        long_flags = [f for f in flags if f.startswith("--")] or flags[:1]
        required = keywords.get("required")
        choices = keywords.get("choices")
        has_default, default = self._default(keywords.get("default"))
        for flag in long_flags:
            self.arguments.append(ArgumentRead(
                flag=flag,
                line=line,
                required=required.value if isinstance(required, ast.Constant) and isinstance(required.value, bool) else None,
                choices=None if choices is None else resolve_sequence(choices, self.constants, self.loops[-1], self.sequences),
                default=default if has_default else None,
            ))

    def _container_join(self, node: ast.Call, line: int) -> None:
        parts = [self.resolve(arg) for arg in node.args]
        if len(parts) < 2 or any(p is None or len(p) != 1 for p in parts):
            return
        joined = "/".join(p[0].strip("/") for p in parts if p is not None)
        first = parts[0]
        if first is not None and first[0].startswith("/") and ("/" + joined).startswith("/opt/ml"):
            self.container_paths.append(ContainerPathLiteral(value="/" + joined, line=line))

    def _file_write(self, node: ast.Call, line: int) -> None:
        outputs: set[str] = set()
        files: set[str] = set()
        for argument in (*node.args, *(k.value for k in node.keywords)):
            for inner in ast.walk(argument):
                if isinstance(inner, (ast.Name, ast.Attribute)):
                    value = resolve(inner, self.constants, {})
                    if value is None or len(value) != 1:
                        continue
                    if value[0] in self.output_names:
                        outputs.add(value[0])
                    elif (isinstance(inner, ast.Name) and inner.id.endswith("_FILE")) or is_file_name(value[0]):
                        files.add(value[0])
                elif isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                    if inner.value in self.output_names:
                        outputs.add(inner.value)
                    elif is_file_name(inner.value):
                        files.add(inner.value)
        if len(outputs) == 1:
            output = next(iter(outputs))
            self.file_writes += [FileWrite(output=output, file=file, line=line) for file in sorted(files)]

    # -- second pass: calls of env helpers -------------------------------------------------
    def helper_reads(self) -> None:
        for node, loops in self.calls:
            helper = self.helpers.get(_callee_name(node.func) or "")
            if helper is None:
                continue
            offset = 1 if helper.is_method and isinstance(node.func, ast.Attribute) else 0
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            key = _argument_at(node, helper.key_index - offset, helper.key_param, keywords)
            if key is None:
                continue
            default = (_argument_at(node, helper.default_index - offset, helper.default_param, keywords)
                       if helper.default_index is not None and helper.default_param else None)
            resolved = resolve(key, self.constants, loops)
            if resolved is None:
                self.dynamic_env.append(node.lineno)
                continue
            if default is not None:
                default_values = resolve(default, self.constants, loops)
                has_default = True
            else:
                default_values = helper.default_constant
                has_default = helper.has_default
            value = default_values[0] if default_values is not None and len(default_values) == 1 else None
            for name in resolved:
                self.env_reads.append(EnvRead(name=name, line=node.lineno, has_default=has_default, default=value))


def _parameter_key(key: ast.expr, params: Sequence[str]) -> str | None:
    """The parameter that names the env var: ``key`` itself, or ``key.value`` (an enum member)."""
    if isinstance(key, ast.Attribute) and key.attr == "value":
        key = key.value
    return key.id if isinstance(key, ast.Name) and key.id in params else None


def _argument_at(node: ast.Call, index: int, name: str, keywords: Mapping[str, ast.expr]) -> ast.expr | None:
    if name in keywords:
        return keywords[name]
    if 0 <= index < len(node.args) and not any(isinstance(a, ast.Starred) for a in node.args[: index + 1]):
        return node.args[index]
    return None


def _logical_names(constants: Scope, lines: Mapping[str, int]) -> Iterator[LogicalNameConstant]:
    for name, values in constants.items():
        for prefix, kind in (("INPUT_", "input"), ("OUTPUT_", "output")):
            if name.startswith(prefix) and len(values) == 1 and "." not in name:
                yield LogicalNameConstant(constant=name, value=values[0], kind=kind, line=lines.get(name, 0))


def analyse_source(source: str, *, output_names: Collection[str] = (), filename: str = "<script>") -> ScriptFacts:
    """Analyse script source text (see the module docstring for what counts).

    Parameters
    ----------
    source : str
        The script's source text.
    output_names : collection of str
        The contract's output logical names, used to recognise file writes into outputs.
    filename : str
        Used in syntax errors.

    Raises
    ------
    SyntaxError
        When the source does not parse.
    """
    return analyse_sources({filename: source}, output_names=output_names)


def analyse_sources(sources: Mapping[str, str], *, output_names: Collection[str] = (),
                    definitions: Collection[str] = ()) -> ScriptFacts:
    """Analyse the modules of one script together: ``sources`` maps each file name to its text.

    ``definitions`` names the modules among ``sources`` that are the step's shared definition
    (its interface: names, paths, env vars, defaults). Their constants resolve the names the
    other modules import from them, but they are not script code: their strings, container
    paths, ``*_FILE`` and ``INPUT_``/``OUTPUT_`` constants are not the script's.

    Raises
    ------
    SyntaxError
        When a module does not parse (its ``filename`` is the module's name).

    Examples
    --------
    >>> facts = analyse_sources({"names.py": 'ENV_BINS = "BINS"\\nMETRICS_FILE = "metrics.json"\\n',
    ...                          "main.py": "from .names import ENV_BINS\\nbins = environ.get(ENV_BINS, '15')\\n"})
    >>> [(r.name, r.default, r.line) for r in facts.env_reads], sorted(facts.file_constants)
    ([('BINS', '15', 2)], ['METRICS_FILE'])
    >>> shared = "import enum\\nPATH = '/opt/ml/processing/input/data'\\nclass Env(enum.Enum):\\n    BINS = 'BINS'\\n"
    >>> facts = analyse_sources({"interface.py": shared, "main.py": "from .interface import Env as E\\n"
    ...     "def read(environ, env):\\n    return environ.get(env.value, SPECS[env].default)\\n"
    ...     "values = [read(environ, env) for env in E]\\n"}, definitions=("interface.py",))
    >>> [(r.name, r.has_default, r.default) for r in facts.env_reads], facts.container_paths
    ([('BINS', True, None)], ())
    """
    trees = {filename: ast.parse(source, filename=filename) for filename, source in sources.items()}
    constants: dict[str, tuple[str, ...]] = {}
    own: dict[str, tuple[str, ...]] = {}
    sequences: dict[str, tuple[str, ...]] = {}
    lines: dict[str, int] = {}
    for filename, tree in trees.items():
        found = module_constants(tree)
        constants.update(found[0])
        sequences.update(found[1])
        if filename not in definitions:
            own.update(found[0])
            lines.update(found[2])
    for tree in trees.values():
        bind_import_aliases(tree, constants, sequences)
    walker = _Walker(constants, sequences, output_names)
    for filename, tree in trees.items():
        if filename not in definitions:
            walker.visit(tree)
    walker.helper_reads()
    file_constants = {name: values[0] for name, values in own.items()
                      if name.endswith("_FILE") and "." not in name and len(values) == 1}
    imports = sorted({(i.module, i.optional): i for i in walker.imports if i.module != "__future__"}.values(),
                     key=lambda i: (i.module, i.line))
    return ScriptFacts(
        env_reads=tuple(sorted(walker.env_reads, key=lambda r: (r.name, r.line))),
        dynamic_env_reads=tuple(sorted(set(walker.dynamic_env))),
        arguments=tuple(sorted(walker.arguments, key=lambda a: a.line)),
        dynamic_arguments=tuple(sorted(set(walker.dynamic_arguments))),
        logical_names=tuple(sorted(_logical_names(own, lines), key=lambda n: n.line)),
        file_writes=tuple(sorted(set(walker.file_writes), key=lambda w: (w.output, w.file, w.line))),
        file_constants=file_constants,
        imports=tuple(imports),
        container_paths=tuple(sorted(set(walker.container_paths), key=lambda c: c.line)),
        string_constants=frozenset(walker.strings),
        attribute_calls=frozenset(walker.attribute_calls),
    )

