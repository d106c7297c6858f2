"""Entry point of ``python -m bench.quality`` (see ``bench.quality.cli``)."""

from bench.quality.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
