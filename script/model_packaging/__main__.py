"""``python -m`` this package: the script's command line (see :mod:`.cli`)."""

from __future__ import annotations

import sys

from .cli import run_cli

if __name__ == "__main__":
    sys.exit(run_cli())
