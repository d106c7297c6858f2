"""Static analysis of scripts: env reads, arguments, names, files, imports, container paths."""

from __future__ import annotations

import pytest

from calibration_step.checker.script_analysis import analyse_source, is_file_name


def env(source: str) -> list[tuple[str, str | None]]:
    return [(read.name, read.default) for read in analyse_source(source).env_reads]


@pytest.mark.parametrize(
    "source",
    [
        "import os\nos.environ['LABEL_FIELD']",
        "import os\nos.environ.get('LABEL_FIELD')",
        "import os\nos.getenv('LABEL_FIELD')",
        "from os import getenv\ngetenv('LABEL_FIELD')",
        "def main(environ):\n    return environ['LABEL_FIELD']",
        "def main(environ):\n    return 'LABEL_FIELD' in environ",
        "NAME = 'LABEL_FIELD'\ndef main(environ):\n    return environ.get(NAME)",
        "NAME: str = 'LABEL_FIELD'\nALIAS = NAME\ndef main(environ):\n    return environ[ALIAS]",
        "import enum\nclass Env(enum.Enum):\n    LABEL = 'LABEL_FIELD'\ndef main(environ):\n    return environ[Env.LABEL.value]",
        "PREFIX = 'LABEL'\ndef main(environ):\n    return environ[f'{PREFIX}_FIELD']",
        "def main(environ):\n    return environ['LABEL' + '_FIELD']",
        "NAMES = ('LABEL_FIELD',)\ndef main(environ):\n    return [environ[n] for n in NAMES]",
        "NAMES = ('LABEL_FIELD',)\ndef main(environ):\n    for n in NAMES:\n        environ.get(n)",
    ],
)
def test_every_way_of_reading_an_env_var_is_seen(source: str) -> None:
    assert [name for name, _ in env(source)] == ["LABEL_FIELD"]


def test_defaults_are_resolved_through_constants() -> None:
    source = "DEFAULT = '10'\ndef main(environ):\n    environ.get('GAM_SPLINES', DEFAULT)\n    environ.get('BINS', default='15')"
    assert env(source) == [("BINS", "15"), ("GAM_SPLINES", "10")]


def test_a_helper_reading_its_parameter_turns_its_calls_into_reads() -> None:
    source = (
        "def _env(environ, name, default):\n    return environ.get(name, default)\n"
        "def main(environ):\n    _env(environ, 'LABEL_FIELD', 'label')\n    _env(environ, name='BINS', default='15')\n"
    )
    facts = analyse_source(source)
    assert [(r.name, r.default) for r in facts.env_reads] == [("BINS", "15"), ("LABEL_FIELD", "label")]
    assert facts.dynamic_env_reads == ()


def test_a_method_helper_skips_self() -> None:
    source = (
        "class Settings:\n    def get(self, name):\n        return self.environ[name]\n"
        "    def label(self):\n        return self.get('LABEL_FIELD')\n"
    )
    assert env(source) == [("LABEL_FIELD", None)]


def test_an_unresolvable_name_is_a_dynamic_read() -> None:
    facts = analyse_source("import os\ndef main(names):\n    for n in names.split():\n        os.environ[n.upper()]\n")
    assert facts.env_reads == ()
    assert facts.dynamic_env_reads == (4,)


def test_writing_the_environment_is_not_a_read() -> None:
    assert env("import os\nos.environ['X'] = '1'\n") == []


def test_arguments_with_required_choices_and_default() -> None:
    source = (
        "CHOICES = ('a', 'b')\nFLAG = '--job_type'\n"
        "def build(p):\n    p.add_argument(FLAG, choices=CHOICES, default='a')\n"
        "    p.add_argument('-o', '--output', required=True)\n"
    )
    arguments = analyse_source(source).arguments
    assert [(a.flag, a.choices, a.default, a.required) for a in arguments] == [
        ("--job_type", ("a", "b"), "a", None),
        ("--output", None, None, True),
    ]


def test_an_argument_built_from_an_unknown_value_is_dynamic() -> None:
    facts = analyse_source("def build(p, names):\n    for n in names:\n        p.add_argument('--' + n)\n")
    assert facts.arguments == () and facts.dynamic_arguments == (3,)


def test_logical_name_constants() -> None:
    facts = analyse_source("INPUT_DATA = 'data'\nOUTPUT_RESULT = 'result'\nOUTPUT_NAMES = ('result',)\nINPUTS = 'x'\n")
    assert [(n.constant, n.value, n.kind) for n in facts.logical_names] == [
        ("INPUT_DATA", "data", "input"),
        ("OUTPUT_RESULT", "result", "output"),
    ]


def test_file_writes_pair_one_output_with_file_names() -> None:
    source = (
        "OUTPUT_METRICS = 'metrics_output'\nMETRICS_FILE = 'metrics.json'\nPLOT = 'plot.png'\n"
        "def write(staging, outputs):\n"
        "    staging.path(OUTPUT_METRICS, METRICS_FILE)\n"
        "    open(os.path.join(outputs['metrics_output'], PLOT), 'wb')\n"
        "    copy(OUTPUT_METRICS, 'calibration_output', 'both.json')\n"
    )
    facts = analyse_source(source, output_names=("metrics_output", "calibration_output"))
    assert sorted({(w.output, w.file) for w in facts.file_writes}) == [
        ("metrics_output", "metrics.json"),
        ("metrics_output", "plot.png"),
    ]
    assert dict(facts.file_constants) == {"METRICS_FILE": "metrics.json"}


@pytest.mark.parametrize(
    "source",
    [
        "PATH = '/opt/ml/processing/input/data'",
        "def f():\n    return f'/opt/ml/processing/{x}'",
        "import os\nP = os.path.join('/opt', 'ml', 'processing')",
        "'''Reads /opt/ml/processing/input.'''",
    ],
)
def test_container_paths_are_found_anywhere(source: str) -> None:
    assert len(analyse_source(source).container_paths) == 1


def test_imports_are_top_level_modules_and_optional_inside_try_import_error() -> None:
    source = (
        "from __future__ import annotations\nimport numpy.typing as npt\nfrom sklearn.isotonic import x\n"
        "def f():\n    try:\n        import pygam\n    except ImportError:\n        pass\n    from . import sibling\n"
    )
    imports = analyse_source(source).imports
    assert [(i.module, i.optional) for i in imports] == [("numpy", False), ("pygam", True), ("sklearn", False)]


def test_a_syntax_error_propagates() -> None:
    with pytest.raises(SyntaxError):
        analyse_source("def broken(:\n")


@pytest.mark.parametrize(("value", "expected"), [("metrics.json", True), ("reliability_diagram.png", True),
                                                  ("a/b.json", False), ("metrics", False), (".hidden", False)])
def test_is_file_name(value: str, expected: bool) -> None:
    assert is_file_name(value) is expected
