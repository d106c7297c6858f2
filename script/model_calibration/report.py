"""The run's report, ``report.html``: one self-contained page (no external assets: styles inline,
the diagram embedded as base64 PNG) rendered from ``metrics.json`` alone, so the script writes it
in the container and ``calibration-step report METRICS_DIR`` renders the same page for a finished
run.

Sections, in order (each a ``<section id=...>``): ``summary`` (what was calibrated, with which
method), ``selection`` (why: ``auto``'s table, or the method named), ``threshold`` (the gate's
verdict), ``metrics`` (the figures before and after calibration), ``diagram``, ``warnings``
and ``rows`` (read, used, dropped and why).
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Optional

from .plotting import metrics_panels, ordered_names, reliability_png

REPORT_SECTIONS = ("summary", "selection", "threshold", "metrics", "diagram", "warnings", "rows")
"""The ``id`` of each section, in page order."""
UNRECORDED_DIAGRAM_BINS = "equal_width"
"""The bins of a run whose ``metrics.json`` records none (``plot.bins``): runs before
``RELIABILITY_BINS`` drew equal-width bins."""

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;
max-width:1100px;color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;
margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}td.num{text-align:right}.pass{color:#1a7f37;font-weight:bold}
.fail{color:#b42318;font-weight:bold}img{max-width:100%;height:auto}code{background:#f3f3f3;
padding:0 .2em}.note{color:#555;font-size:.9em}
"""

# (label, path inside a binary block) of the before/after table
_BINARY_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rows", ("n",)), ("base rate", ("base_rate",)),
    ("ECE, equal width", ("ece_equal_width",)), ("ECE, equal mass", ("ece_equal_mass",)),
    ("smooth ECE", ("smooth_ece",)), ("MCE, equal width", ("mce_equal_width",)),
    ("Brier score", ("brier",)), ("Brier: miscalibration (CORP MCB)", ("corp", "brier", "mcb")),
    ("Brier: discrimination (CORP DSC)", ("corp", "brier", "dsc")),
    ("Brier: uncertainty (CORP UNC)", ("corp", "brier", "unc")),
    ("log loss", ("log_loss",)), ("log loss: miscalibration (CORP MCB)", ("corp", "log_loss", "mcb")),
    ("log loss: discrimination (CORP DSC)", ("corp", "log_loss", "dsc")),
    ("log loss: uncertainty (CORP UNC)", ("corp", "log_loss", "unc")),
    ("AUC", ("auc",)), ("calibration slope", ("calibration_slope",)),
    ("calibration intercept", ("calibration_intercept",)),
    ("Spiegelhalter z", ("spiegelhalter_z",)), ("Spiegelhalter p-value", ("spiegelhalter_p_value",)),
)
_MULTICLASS_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rows", ("n",)), ("top-label ECE, equal width", ("ece_equal_width",)),
    ("top-label ECE, equal mass", ("ece_equal_mass",)),
    ("top-label smooth ECE", ("top_label", "smooth_ece")),
    ("class-wise ECE (macro), equal width", ("macro", "ece_equal_width")),
    ("Brier score (sum over classes)", ("brier",)), ("log loss", ("log_loss",)),
    ("accuracy", ("accuracy",)), ("AUC one-vs-rest (macro)", ("auc_ovr", "macro")),
)


def _at(block: Mapping[str, object], path: Sequence[str]) -> object:
    current: object = block
    for key in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


def _cell(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return html.escape("n/a" if value is None else str(value).lower())
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return html.escape(str(value))
        return f"{value:.6g}" if abs(value) >= 1e-4 or value == 0.0 else f"{value:.3e}"
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td class=\"num\">{_cell(v)}</td>" if isinstance(v, (int, float))
                         and not isinstance(v, bool) else f"<td>{_cell(v)}</td>" for v in row)
        + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _before_after(uncalibrated: Mapping[str, object], calibrated: Mapping[str, object],
                  rows: Sequence[tuple[str, tuple[str, ...]]]) -> str:
    return _table(["figure", "uncalibrated", "calibrated"],
                  [(label, _at(uncalibrated, path), _at(calibrated, path)) for label, path in rows])


def _metrics_section(metrics: Mapping[str, object]) -> str:
    mode = metrics.get("mode")
    uncalibrated, calibrated = metrics.get("uncalibrated"), metrics.get("calibrated")
    if not isinstance(uncalibrated, Mapping) or not isinstance(calibrated, Mapping):
        return "<p>no metrics blocks</p>"
    evaluation = _at(metrics, ("evaluation", "calibrated_predictions"))
    parts = [f"<p class=\"note\">calibrated figures: {_cell(evaluation)}; CORP: score = MCB - "
             "DSC + UNC (docs/metrics.md)</p>"]
    if mode == "multitask":
        for name in _task_names(metrics):
            parts.append(f"<h3>task {html.escape(str(name))}</h3>")
            parts.append(_before_after(_mapping(uncalibrated, "tasks", name),
                                       _mapping(calibrated, "tasks", name), _BINARY_ROWS))
    elif mode == "multiclass":
        parts.append(_before_after(uncalibrated, calibrated, _MULTICLASS_ROWS))
        parts.append("<h3>top label (confidence vs correct)</h3>")
        parts.append(_before_after(_mapping(uncalibrated, "top_label"),
                                   _mapping(calibrated, "top_label"), _BINARY_ROWS))
        listed = calibrated.get("classes")
        for name in ordered_names(_mapping(calibrated, "per_class"),
                                  [str(c) for c in listed] if isinstance(listed, list) else []):
            parts.append(f"<details><summary>class {html.escape(str(name))} "
                         "(one-vs-rest)</summary>")
            parts.append(_before_after(_mapping(uncalibrated, "per_class", name),
                                       _mapping(calibrated, "per_class", name), _BINARY_ROWS))
            parts.append("</details>")
    else:
        parts.append(_before_after(uncalibrated, calibrated, _BINARY_ROWS))
    return "".join(parts)


def _task_names(metrics: Mapping[str, object]) -> list[str]:
    """The tasks in the settings' order (``metrics.json`` holds its objects' keys sorted)."""
    return ordered_names(_mapping(metrics, "calibrated", "tasks"),
                         _strings(_at(metrics, ("settings", "score_fields"))))


def _mapping(block: Mapping[str, object], *path: str) -> Mapping[str, object]:
    value = _at(block, path)
    return value if isinstance(value, Mapping) else {}


def _summary_section(metrics: Mapping[str, object]) -> str:
    settings = _mapping(metrics, "settings")
    mode = metrics.get("mode")
    if mode == "multitask":
        what = ", ".join(f"{s} against {l}" for s, l in zip(
            _strings(settings.get("score_fields")), _strings(settings.get("task_label_names"))))
    elif mode == "multiclass":
        what = (f"class scores {settings.get('score_field_prefix')}* of categories "
                f"{', '.join(_strings(settings.get('categories')))} against "
                f"{settings.get('label_field')}")
    else:
        what = f"{settings.get('score_field')} against {settings.get('label_field')}"
    calibrator = _mapping(metrics, "calibrator")
    rows = [("job type", metrics.get("job_type")), ("mode", mode), ("scores", what),
            ("score space", settings.get("score_space")),
            ("method requested", metrics.get("method")),
            ("method used", metrics.get("selected_method")),
            ("calibrator", f"{calibrator.get('source')} ({calibrator.get('kind')})"),
            ("evaluation", _at(metrics, ("evaluation", "scheme"))),
            ("folds", _at(metrics, ("evaluation", "folds"))),
            ("bins", _at(metrics, ("evaluation", "bins"))),
            ("weights", settings.get("weight_field") or "none")]
    return _table(["", ""], rows)


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _selection_table(selection: Mapping[str, object]) -> str:
    candidates = _mapping(selection, "candidates")
    keys: list[str] = []
    for record in candidates.values():
        for key in record if isinstance(record, Mapping) else {}:
            if key not in keys:
                keys.append(key)
    rows = [[name] + [_at(record, (key,)) if isinstance(record, Mapping) else None
                      for key in keys] for name, record in candidates.items()]
    chosen = (f"<p>selected <b>{html.escape(str(selection.get('selected')))}</b>: "
              f"{html.escape(str(selection.get('reason')))}</p>"
              f"<p class=\"note\">criterion: {html.escape(str(selection.get('criterion')))}</p>")
    return chosen + _table(["candidate"] + keys, rows)


def _selection_section(metrics: Mapping[str, object]) -> str:
    selection = metrics.get("selection")
    if not isinstance(selection, Mapping):
        source = _at(metrics, ("calibrator", "source"))
        return (f"<p>method <b>{html.escape(str(metrics.get('selected_method')))}</b> "
                f"({'the given calibrator' if source == 'given' else 'named in the settings'}"
                "; no automatic selection ran)</p>")
    if "candidates" in selection:
        return _selection_table(selection)
    parts = []
    for name in ordered_names(selection, _task_names(metrics)):  # multi-task: one per task
        task_selection = selection[name]
        parts.append(f"<h3>task {html.escape(str(name))}</h3>")
        parts.append(_selection_table(task_selection) if isinstance(task_selection, Mapping)
                     else "<p>no selection</p>")
    return "".join(parts)


def _threshold_section(metrics: Mapping[str, object]) -> str:
    threshold = _mapping(metrics, "threshold")
    passed = threshold.get("passed") is True
    verdict = "<span class=\"pass\">passed</span>" if passed else \
        "<span class=\"fail\">NOT passed</span>"
    return (f"<p>{verdict}: {html.escape(str(threshold.get('metric')))} = "
            f"{_cell(threshold.get('value'))}, threshold {_cell(threshold.get('threshold'))}</p>")


def _diagram_section(diagram_png: Optional[bytes], plot_error: object, bins: str) -> str:
    if diagram_png is None:
        return f"<p>no diagram ({html.escape(str(plot_error or 'not drawn'))})</p>"
    encoded = base64.b64encode(diagram_png).decode("ascii")
    return (f"<img alt=\"reliability diagram\" src=\"data:image/png;base64,{encoded}\">"
            "<p class=\"note\">curves: CORP (the PAV recalibration of the predictions); grey: "
            "where the curve of a calibrated forecast falls (consistency band); points: "
            f"{html.escape(bins.replace('_', '-'))} bins with Wilson 95% intervals; bars: rows "
            "per bin</p>")


def _warnings_section(metrics: Mapping[str, object]) -> str:
    warnings = metrics.get("warnings")
    entries = warnings if isinstance(warnings, list) else []
    if not entries:
        return "<p>none</p>"
    return _table(["code", "message"], [(_at(w, ("code",)), _at(w, ("message",)))
                                        if isinstance(w, Mapping) else ("", w) for w in entries])


def _rows_section(metrics: Mapping[str, object]) -> str:
    rows = _mapping(metrics, "rows")
    tasks = _mapping(rows, "tasks")
    blocks = {f"task {name}": _mapping(tasks, name)
              for name in ordered_names(tasks, _task_names(metrics))} if tasks else {"": rows}
    table_rows = []
    for name, block in blocks.items():
        dropped = _mapping(block, "dropped")
        table_rows.append([name, block.get("read", rows.get("read")), block.get("used"),
                           "; ".join(f"{why.replace('_', ' ')}: {count}"
                                     for why, count in sorted(dropped.items())) or "none"])
    return _table(["", "read", "used", "dropped"], table_rows) + \
        f"<p class=\"note\">{html.escape(json.dumps(dict(rows), sort_keys=True))}</p>"


def render_report(metrics: Mapping[str, object], diagram_png: Optional[bytes]) -> str:
    """The report page of a run's ``metrics`` (the content of ``metrics.json``, as read back:
    objects' keys sorted) with its diagram's PNG bytes (None: the page says why there is none).

    >>> page = render_report({"mode": "binary", "threshold": {"passed": True}}, None)
    >>> page.startswith("<!DOCTYPE html>"), all(f'id="{s}"' in page for s in REPORT_SECTIONS)
    (True, True)
    """
    titles = {"summary": "What was calibrated", "selection": "Method and why",
              "threshold": "Threshold verdict", "metrics": "Metrics before and after",
              "diagram": "Reliability diagram", "warnings": "Warnings",
              "rows": "Rows read, used and dropped"}
    bodies = {"summary": _summary_section(metrics), "selection": _selection_section(metrics),
              "threshold": _threshold_section(metrics), "metrics": _metrics_section(metrics),
              "diagram": _diagram_section(diagram_png, _at(metrics, ("plot", "error")),
                                          diagram_bins(metrics)),
              "warnings": _warnings_section(metrics), "rows": _rows_section(metrics)}
    sections = "".join(f"<section id=\"{name}\"><h2>{titles[name]}</h2>{bodies[name]}</section>"
                       for name in REPORT_SECTIONS)
    title = f"Calibration report: {metrics.get('mode')}, {metrics.get('selected_method')}"
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{sections}</body></html>\n")


def diagram_heading(metrics: Mapping[str, object]) -> str:
    """The diagram's heading: the method and how the calibrated predictions were obtained.

    >>> diagram_heading({"selected_method": "gam", "evaluation": {"scheme": "x"}})
    'method gam, cross-fitted calibration'
    """
    applied = _at(metrics, ("evaluation", "scheme")) == "applied_given_calibrator"
    return (f"method {metrics.get('selected_method')}, "
            f"{'given calibrator applied' if applied else 'cross-fitted calibration'}")


def diagram_bins(metrics: Mapping[str, object]) -> str:
    """The bins the run's diagram drew (``metrics.plot.bins``; equal width for runs that predate
    the choice).

    >>> diagram_bins({"plot": {"bins": "equal_mass"}}), diagram_bins({})
    ('equal_mass', 'equal_width')
    """
    bins = _at(metrics, ("plot", "bins"))
    return bins if isinstance(bins, str) else UNRECORDED_DIAGRAM_BINS


def redrawn_report(metrics: Mapping[str, object], bins: Optional[str] = None) -> str:
    """The report of a finished run from its ``metrics.json`` alone, the diagram redrawn from the
    curves and bins stored there: the binning the run drew, or ``bins`` (``equal_width`` or
    ``equal_mass``). A drawing failure is said on the page, never raised."""
    chosen = bins or diagram_bins(metrics)
    png: Optional[bytes] = None
    error: object = None
    try:
        png = reliability_png(metrics_panels(str(metrics.get("mode")),
                                             _mapping(metrics, "uncalibrated"),
                                             _mapping(metrics, "calibrated"), _task_names(metrics)),
                              diagram_heading(metrics), chosen)
    except Exception as exc:  # the page says so; the figures are still worth having
        error = f"{type(exc).__name__}: {exc}"
    plot = {**_mapping(metrics, "plot"), "error": error, "bins": chosen}
    return render_report({**metrics, "plot": plot}, png)
