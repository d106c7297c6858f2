"""The alignment checker: script <-> contract <-> spec <-> dependencies <-> builder.

Four levels, each a module of pure functions returning :class:`~.findings.Finding` values:

1. :mod:`.level1_script_contract` (with :mod:`.script_analysis`, :mod:`.script_facts`,
   :mod:`.script_values` and :mod:`.requirements`): the
   script, analysed statically, reads and writes what its contract declares;
2. :mod:`.level2_contract_spec`: contract and specification agree;
3. :mod:`.level3_spec_dependencies` (with :mod:`.property_paths`): dependencies can be satisfied
   and property paths fit the SageMaker step type;
4. :mod:`.level4_builder_config`: what the builder sends covers the contract, and no more.

:mod:`.runner` runs them over a registry, the installed package or a project tree;
``calibration-step check`` is the command line.

Examples
--------
>>> from calibration_step.checker import check_registry
>>> from calibration_step.registry import build_registry
>>> check_registry(build_registry(())).passed
True
"""

from __future__ import annotations

from calibration_step.checker.findings import Finding, Report, render_json, render_text
from calibration_step.checker.runner import check_installed, check_registry, check_tree

__all__ = ["Finding", "Report", "check_installed", "check_registry", "check_tree", "render_json", "render_text"]
