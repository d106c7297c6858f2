"""``calibration-step pipeline run-local``: execute a pipeline definition JSON here, without Docker.

The JSON document that goes to SageMaker is itself executed by :mod:`calibration_step.local`:
each step's status is printed as it goes (with the log tail of a failed step), then the
execution's status and failure reason. ``s3://bucket/key`` is the file ``<s3 root>/bucket/key``
(default ``<work dir>/s3``); put the step's code and data there first.

Exit codes: 0 when the execution Succeeded, 1 when it Failed, 2 when the definition cannot be
executed (one line ``error [LOCAL-...] message (hint: ...)``).

Examples
--------
>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_arguments(parser)
>>> args = parser.parse_args(["run-local", "pipeline.json", "--parameter", "Rows=10", "--parameter", "Name=a=b"])
>>> args.action, str(args.definition), args.parameter
('run-local', 'pipeline.json', [('Rows', '10'), ('Name', 'a=b')])
"""

from __future__ import annotations

import argparse
from pathlib import Path

from calibration_step.commands._files import read_json_object

__all__ = ["DEFAULT_WORK_DIR", "HELP", "add_arguments", "load_definition", "run"]

HELP = "pipeline definitions: run-local executes a definition JSON here (local processes, a local S3 folder)"
DEFAULT_WORK_DIR = Path("pipeline-local")
"""The work folder when none is given (relative to the current folder)."""


def _parameter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--parameter takes NAME=VALUE; got {text!r}")
    return name, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``run-local DEFINITION [--parameter NAME=VALUE ...] [--s3-root DIR] [--work-dir DIR] [--pipeline-name NAME]``."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    local = actions.add_parser("run-local", help="execute a pipeline definition JSON locally, SageMaker's way",
                               description=__doc__.split("\n\n")[0] if __doc__ else None)
    local.add_argument("definition", type=Path, metavar="DEFINITION", help="the pipeline definition JSON file")
    local.add_argument("--parameter", type=_parameter, action="append", default=[], metavar="NAME=VALUE",
                       help="a value of a declared pipeline parameter (repeatable); others take their default")
    local.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR, metavar="DIR",
                       help=f"each execution works in DIR/<execution id> (default ./{DEFAULT_WORK_DIR})")
    local.add_argument("--s3-root", type=Path, default=None, metavar="DIR",
                       help="s3://bucket/key is the file DIR/bucket/key (default <work dir>/s3)")
    local.add_argument("--pipeline-name", default=None, metavar="NAME",
                       help="the Execution.PipelineName variable (default: the file name without .json)")


def load_definition(path: Path) -> dict[str, object]:
    """The JSON object in the file at ``path``.

    Raises
    ------
    LocalExecutionError
        ``LOCAL-DEFINITION-FILE`` when the file is missing or is not a JSON object.
    """
    from calibration_step.errors import Code, LocalExecutionError

    try:
        return read_json_object(path)
    except ValueError as error:
        raise LocalExecutionError(Code.LOCAL_DEFINITION_FILE, f"cannot read the pipeline definition {str(path)!r}: {error}.",
                                  hint="give the JSON file of a pipeline definition (calibration-step definition writes "
                                  "one)") from None


def run(args: argparse.Namespace) -> int:
    """Execute the definition; 0 when it Succeeded, 1 when it Failed."""
    from calibration_step.local import LocalS3Store, run_pipeline_definition

    definition_path: Path = args.definition
    definition = load_definition(definition_path)
    work_dir: Path = args.work_dir
    s3_root: Path = args.s3_root if args.s3_root is not None else work_dir / "s3"
    print(f"work folder {work_dir.resolve()}; s3:// is {s3_root.resolve()}", flush=True)
    result = run_pipeline_definition(
        definition,
        store=LocalS3Store(s3_root.resolve()),
        work_dir=work_dir,
        parameters=dict(args.parameter),
        pipeline_name=args.pipeline_name or definition_path.stem,
        report=lambda line: print(line, flush=True),
    )
    return 0 if result.succeeded else 1
