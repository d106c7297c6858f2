"""Calibration quality on real data, held out, against the peers users would pick instead.

Modules: ``datasets`` (data sets, model kinds, splits), ``ours`` (the shipped script run
in-process), ``peers`` (typed adapters of the peer calibrators), ``metrics`` (held-out figures),
``runs`` (one run: every calibrator on one data set, model kind and seed), ``summary`` (the
summary figures), ``report`` (markdown and JSON) and ``cli`` (``python -m bench.quality``).
"""
