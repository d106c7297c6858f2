"""The reliability diagram, ``reliability_diagram.png``: uncalibrated vs calibrated, one panel per
task or class in a grid, drawn from the metrics blocks alone (so ``calibration-step report`` can
redraw a finished run from ``metrics.json``).

Each panel's upper plot holds the CORP reliability curves (the PAV recalibration, bin-free) over
the diagonal with the calibrated predictions' 90% consistency band, and the bins' observed rates
at their mean predictions with Wilson 95% intervals; the lower plot the rows per bin over each
bin's range (a log scale where the counts are skewed). The bins are the ``bins.equal_width`` or
``bins.equal_mass`` block of each metrics block (``RELIABILITY_BINS``), named in each panel's
title. The legend sits above the panels, off the data. matplotlib is imported on a
background thread while the job fits (:func:`preload_plotting`); a plotting failure is recorded
in ``metrics.plot`` by the caller, never fatal.
"""

from __future__ import annotations

import math
import struct
import sys
import threading
import zlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Optional

import numpy as np
import numpy.typing as npt

from ..interface import SETTING_DEFAULTS
from .jsonvalues import json_get
from .logs import logger
from .numerics import FloatArray

if TYPE_CHECKING:  # matplotlib is imported lazily, by plot_reliability only
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis

Panel = tuple[str, Mapping[str, object], Mapping[str, object]]
MAX_PLOT_PANELS = 36
PLOT_DPI = 150
WILSON_Z = 1.959963984540054
"""The Wilson intervals of the bins' observed rates are 95% intervals."""
SKEWED_COUNTS = 20.0
"""The count histogram takes a log scale when its largest bin holds this many times the rows
of its smallest non-empty one."""
_COLOURS = {"uncalibrated": "tab:blue", "calibrated": "tab:orange"}
PNG_COMPRESS_LEVEL = 1
"""zlib's fastest level (:func:`png_bytes`)."""
_PNG_ROWS = 256
""":func:`png_bytes` filters and compresses this many rows at a time."""
MIN_BAR_WIDTH = 0.006
"""The narrowest bar of an equal-mass bin (its range can be one tied value): it still shows."""


_PLOTTING_MODULE = "matplotlib.backends.backend_agg"
"""Imported last by :func:`_import_plotting`: once present, matplotlib is ready."""


def _import_plotting() -> None:
    """Import what :func:`reliability_png` draws with: matplotlib's figure and Agg canvas (the
    Agg backend chosen too, for any pyplot user); not pyplot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.collections  # noqa: F401  # the imports are the point
    import matplotlib.figure  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401  # last: see _PLOTTING_MODULE


def preload_plotting() -> Optional[threading.Thread]:
    """Start importing matplotlib on a background thread, so that its ~0.3 s import overlaps
    reading and fitting instead of adding to the run (the reliability diagram is drawn last).
    Any failure is left for :func:`plot_reliability` to meet and report; None when matplotlib
    is imported already. A run that ends early exits once the import is done.
    """
    if _PLOTTING_MODULE in sys.modules:
        return None

    def run() -> None:
        try:
            _import_plotting()
        except Exception:  # plot_reliability imports again and records the error
            logger.debug("preloading matplotlib failed", exc_info=True)

    # Not a daemon: the interpreter waits for it before finalising. A daemon thread still
    # inside matplotlib's C++ extension imports when a run stops early (an error, SIGTERM) is
    # ended by a forced unwind through those frames, which aborts the process (SIGABRT,
    # "terminate called without an active exception") instead of exiting with the run's code.
    thread = threading.Thread(target=run, name="preload-matplotlib", daemon=False)
    thread.start()
    return thread


def metrics_panels(mode: str, uncalibrated: Mapping[str, object],
                   calibrated: Mapping[str, object], order: Sequence[str] = ()) -> list[Panel]:
    """The diagram's panels of a run's metrics blocks: the binary block; each task's; the
    top-label block and each class's (one-vs-rest). Tasks and classes come in ``order`` (the
    multi-class block's ``classes`` by default), any others after them.

    >>> block = {"n": 3}
    >>> [title for title, _, _ in metrics_panels("binary", block, block)]
    ['']
    """
    if mode == "multitask":
        tasks = json_get(calibrated, "tasks")
        return [(f"task {name}", json_get(uncalibrated, "tasks", name), json_get(tasks, name))
                for name in ordered_names(tasks, order)]
    if mode == "multiclass":
        classes = json_get(calibrated, "per_class")
        listed = calibrated.get("classes")
        names = ordered_names(classes, order or ([str(c) for c in listed]
                                                 if isinstance(listed, list) else ()))
        return [("top label", json_get(uncalibrated, "top_label"),
                 json_get(calibrated, "top_label"))] + [
            (f"class {name}", json_get(uncalibrated, "per_class", name), json_get(classes, name))
            for name in names]
    return [("", uncalibrated, calibrated)]


def ordered_names(named: Mapping[str, object], order: Sequence[str]) -> list[str]:
    """The keys of ``named``: those in ``order`` first (in that order), then the others.

    >>> ordered_names({"b": 1, "a": 2, "c": 3}, ["c", "b"])
    ['c', 'b', 'a']
    """
    first = [name for name in order if name in named]
    return first + [name for name in named if name not in first]


def wilson_interval(rate: FloatArray, count: FloatArray, z: float = WILSON_Z
                    ) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval of observed rates ``rate`` out of ``count`` rows (a count of
    weights is taken as that many rows).

    >>> low, high = wilson_interval(np.array([0.0, 0.5]), np.array([10.0, 100.0]))
    >>> [round(float(v), 4) for v in (low[0], high[0], low[1], high[1])]
    [0.0, 0.2775, 0.4038, 0.5962]
    """
    n = np.maximum(count, 1e-12)
    z2 = z * z
    centre = (rate + z2 / (2.0 * n)) / (1.0 + z2 / n)
    half = z / (1.0 + z2 / n) * np.sqrt(np.maximum(rate * (1.0 - rate), 0.0) / n
                                       + z2 / (4.0 * n * n))
    return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)


def reliability_png(panels: Sequence[Panel], evaluation: str,
                    bins: str = SETTING_DEFAULTS.reliability_bins) -> bytes:
    """The diagram as PNG bytes (``PLOT_DPI``): at most ``MAX_PLOT_PANELS`` panels in a grid,
    each drawing its blocks' ``bins`` binning (``equal_width`` or ``equal_mass``)."""
    _import_plotting()
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = list(panels)[:MAX_PLOT_PANELS]
    cols = max(1, math.ceil(math.sqrt(len(shown))))
    grid_rows = max(1, math.ceil(len(shown) / cols))
    width, height = (7.0, 8.4) if len(shown) <= 1 else (5.2, 6.4)
    # the ticks are made as the figure is drawn, so the style holds until it is drawn; the
    # titles at a fixed height, not each placed above its axes' measured tick labels; the
    # text unhinted (as readable at this dpi, its glyphs cheaper to render)
    with matplotlib.rc_context({"axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7,
                                "ytick.labelsize": 7, "legend.fontsize": 8, "axes.titley": 1.0,
                                "text.hinting": "none"}):
        fig = Figure(figsize=(width * cols, height * grid_rows + 0.9), dpi=PLOT_DPI)
        canvas = FigureCanvasAgg(fig)  # no pyplot: no figure manager to register and close
        inch = 1.0 / fig.get_figheight()
        outer = fig.add_gridspec(grid_rows, cols, top=1.0 - 1.25 * inch, bottom=0.5 * inch,
                                 left=0.09 if cols == 1 else 0.06, right=0.97, hspace=0.3,
                                 wspace=0.28)
        for i, (title, uncalibrated, calibrated) in enumerate(shown):
            pair = outer[i // cols, i % cols].subgridspec(2, 1, height_ratios=[3, 1],
                                                         hspace=0.3)
            top, bottom = fig.add_subplot(pair[0]), fig.add_subplot(pair[1])
            _reliability_panel(top, bottom, uncalibrated, calibrated, bins)
            top.set_title(_panel_title(title, uncalibrated, calibrated, bins))
        more = f" (first {len(shown)} of {len(panels)} panels)" if len(panels) > len(shown) else ""
        fig.suptitle(f"Reliability diagram: {evaluation}{more}", y=1.0 - 0.15 * inch)
        if shown:  # one legend for every panel, above them: never over the data
            handles, labels = fig.axes[0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="upper center", ncol=3, frameon=False,
                       bbox_to_anchor=(0.5, 1.0 - 0.4 * inch))
        canvas.draw()  # type: ignore[no-untyped-call]  # matplotlib's Agg canvas is unannotated
    rgba = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]  # as draw's
    return png_bytes(rgba, PLOT_DPI)


def png_bytes(rgba: npt.NDArray[np.uint8], dpi: int) -> bytes:
    """An opaque image, ``rgba`` (rows of RGBA pixels), as PNG bytes: 8-bit RGB (the alpha
    dropped), each row filtered as its difference from the row above (PNG's "up" filter: a
    chart's rows repeat, so zlib's fastest level, ``PNG_COMPRESS_LEVEL``, packs them well),
    ``dpi`` recorded. Faster than matplotlib's PNG (PIL's RGBA, every filter tried a row).

    >>> png = png_bytes(np.full((2, 3, 4), 255, dtype=np.uint8), 150)
    >>> png[:8], png[12:16], struct.unpack(">II", png[16:24])
    (b'\\x89PNG\\r\\n\\x1a\\n', b'IHDR', (3, 2))
    """
    height, width = rgba.shape[:2]
    compressor = zlib.compressobj(PNG_COMPRESS_LEVEL)
    compressed = []
    above = np.zeros(3 * width, dtype=np.uint8)  # above the first row are zeros
    for start in range(0, height, _PNG_ROWS):  # in blocks of rows: no copy of the whole image
        rgb = rgba[start:start + _PNG_ROWS, :, :3].reshape(-1, 3 * width)
        rows = np.empty((rgb.shape[0], 1 + 3 * width), dtype=np.uint8)
        rows[:, 0] = 2  # the filter type "up"
        # modulo 256, as PNG's filters are
        np.subtract(rgb[0], above, out=rows[0, 1:])
        np.subtract(rgb[1:], rgb[:-1], out=rows[1:, 1:])
        compressed.append(compressor.compress(rows.data))
        above = rgb[-1]
    compressed.append(compressor.flush())
    per_metre = round(dpi / 0.0254)
    return b"".join([b"\x89PNG\r\n\x1a\n",
                     _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
                     _png_chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
                     _png_chunk(b"IDAT", b"".join(compressed)),
                     _png_chunk(b"IEND", b"")])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def plot_reliability(path: str, panels: Sequence[Panel],
                     evaluation: str = "cross-fitted calibration",
                     bins: str = SETTING_DEFAULTS.reliability_bins) -> None:
    """Write the reliability diagram of ``panels`` (:func:`reliability_png`) to ``path``."""
    image = reliability_png(panels, evaluation, bins)
    with open(path, "wb") as handle:
        handle.write(image)


def _number(block: Mapping[str, object], key: str) -> Optional[float]:
    value = block.get(key)
    return float(value) if isinstance(value, (int, float)) else None


def _panel_title(title: str, uncalibrated: Mapping[str, object],
                 calibrated: Mapping[str, object], bins: str) -> str:
    """The panel's rows, its binning and each prediction's ECE of that binning and smooth ECE.

    >>> block = {"n": 9, "bins": {"equal_mass": {"n_bins": 3}}, "ece_equal_mass": 0.25}
    >>> _panel_title("", block, block, "equal_mass").splitlines()[0]
    '9 rows, 3 equal-mass bins'
    """
    rows = calibrated.get("n")
    n_bins = json_get(calibrated, "bins", bins).get("n_bins")
    head = f"{title}: " if title else ""
    figures = []
    for label, block in (("uncal.", uncalibrated), ("cal.", calibrated)):
        ece, smooth = _number(block, f"ece_{bins}"), _number(block, "smooth_ece")
        figures.append(f"{label} ECE {_fmt(ece)}, smECE {_fmt(smooth)}")
    return f"{head}{rows} rows, {n_bins} {bins.replace('_', '-')} bins\n" + "; ".join(figures)


def _fmt(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _reliability_panel(top_ax: Axes, bottom_ax: Axes, uncalibrated: Mapping[str, object],
                       calibrated: Mapping[str, object], bins_name: str) -> None:
    top_ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    corp = calibrated.get("corp")
    if isinstance(corp, Mapping):
        curve = json_get(corp, "curve")
        level = json_get(corp, "band").get("level")
        top_ax.fill_between(_json_floats(curve.get("prediction")),
                            _json_floats(curve.get("band_lower")),
                            _json_floats(curve.get("band_upper")), color="grey", alpha=0.25,
                            linewidth=0, step="post",
                            label=f"{_percent(level)} consistency band (calibrated)")
    bins_by_label = {}
    for label, block in (("uncalibrated", uncalibrated), ("calibrated", calibrated)):
        colour = _COLOURS[label]
        corp = block.get("corp")
        if isinstance(corp, Mapping):
            curve = json_get(corp, "curve")
            top_ax.plot(_json_floats(curve.get("prediction")),
                        _json_floats(curve.get("recalibrated")), drawstyle="steps-post",
                        color=colour, linewidth=1.6, label=f"{label}: CORP curve")
        bins = json_get(block, "bins", bins_name)
        xs = _json_floats(bins.get("mean_predicted"))
        ys = _json_floats(bins.get("observed_rate"))
        counts = _json_floats(bins.get("count"))
        keep = ~(np.isnan(xs) | np.isnan(ys))
        low, high = wilson_interval(ys[keep], counts[keep])
        error = np.maximum([ys[keep] - low, high - ys[keep]], 0.0)  # rounding at 0 and 1
        _error_bars(top_ax, xs[keep], ys[keep], ys[keep] - error[0], ys[keep] + error[1],
                    colour, f"{label}: bins, Wilson 95%")
        bins_by_label[label] = bins
    top_ax.set_xlim(-0.02, 1.02)
    top_ax.set_ylim(-0.02, 1.02)
    top_ax.set_xlabel("predicted probability")
    top_ax.set_ylabel("observed positive rate")
    _count_histogram(bottom_ax, bins_by_label, bins_name)
    for axis in (top_ax.xaxis, top_ax.yaxis, bottom_ax.xaxis, bottom_ax.yaxis):
        _ticks_in_view(axis)


def _error_bars(ax: Axes, xs: FloatArray, ys: FloatArray, low: FloatArray, high: FloatArray,
                colour: str, label: str) -> None:
    """Points at ``ys`` with bars from ``low`` to ``high``, capped: what ``Axes.errorbar(fmt="o",
    markersize=3.5, capsize=2, elinewidth=0.8, alpha=0.8)`` draws, from the same artists in the
    same order (and so the same legend entry), without its argument handling (a third of the
    panel's data drawing)."""
    from matplotlib.collections import LineCollection
    from matplotlib.container import ErrorbarContainer
    from matplotlib.lines import Line2D

    points = Line2D(xs, ys, linestyle="none", marker="o", markersize=3.5, color=colour,
                    alpha=0.8, zorder=2.1, label="_nolegend_")
    segments = np.stack([np.stack([xs, low], axis=1), np.stack([xs, high], axis=1)], axis=1)
    bars = LineCollection(list(segments), colors=colour, linewidths=0.8, alpha=0.8, zorder=2)
    caps = [Line2D(xs, end, linestyle="none", marker="_", markersize=4.0, color=colour,
                   markeredgecolor=colour, alpha=0.8, zorder=2) for end in (low, high)]
    ax.add_line(points)
    ax.add_collection(bars, autolim=False)
    for cap in caps:
        ax.add_line(cap)
    ax.add_container(ErrorbarContainer((points, tuple(caps), (bars,)), has_xerr=False,
                                       has_yerr=True, label=label))


def _count_histogram(ax: Axes, bins_by_label: Mapping[str, Mapping[str, object]],
                     bins_name: str) -> None:
    """Rows per bin: equal-width bins the two predictions side by side in each bin's width;
    equal-mass bins (their own ranges per prediction) each over its range of predictions, the
    uncalibrated filled and the calibrated hatched over them."""
    counts_by_label = {label: _json_floats(bins.get("count"))
                       for label, bins in bins_by_label.items()}
    positive = np.concatenate([c[c > 0] for c in counts_by_label.values()])
    for offset, (label, counts) in enumerate(counts_by_label.items()):
        if bins_name == "equal_width":
            n_bins = counts.shape[0]
            _add_bars(ax, np.arange(n_bins) / n_bins + offset * 0.5 / n_bins,
                      np.full(n_bins, 0.5 / n_bins), counts, facecolor=_COLOURS[label],
                      edgecolor="none", alpha=0.7)
            continue
        low = _json_floats(bins_by_label[label].get("lower"))
        high = _json_floats(bins_by_label[label].get("upper"))
        keep = ~(np.isnan(low) | np.isnan(high))
        width = np.maximum(high[keep] - low[keep], MIN_BAR_WIDTH)
        # the first prediction's bars filled, the second's hatched: where they overlap both show
        _add_bars(ax, (low[keep] + high[keep] - width) / 2.0, width, counts[keep],
                  facecolor=_COLOURS[label] if offset == 0 else "none",
                  edgecolor=_COLOURS[label], alpha=0.45 if offset == 0 else 0.9,
                  linewidth=0.6, hatch=None if offset == 0 else "////")
    ax.autoscale_view()
    skewed = positive.size > 0 and float(positive.max()) >= SKEWED_COUNTS * float(positive.min())
    if skewed:
        from matplotlib.ticker import FuncFormatter, NullLocator

        ax.set_yscale("log")
        ax.set_ylim(bottom=0.5)  # a bin of one row still shows
        # plain text, not mathtext: its parser costs about 0.4 s to set up
        ax.yaxis.set_major_formatter(FuncFormatter(power_of_ten_label))
        # no minor ticks: about 50 tick artists an axis, most of a panel's drawing time
        ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("predicted probability (bars: uncalibrated | calibrated)"
                  if bins_name == "equal_width" else
                  "predicted probability (bin ranges: uncal. filled, cal. hatched)")
    ax.set_ylabel("rows per bin" + (" (log)" if skewed else ""))


def _ticks_in_view(axis: Axis) -> None:
    """Draw ``axis``'s major ticks at the locations its locator gives within the view, as
    matplotlib draws them (an outward mark, the formatter's label past it, the axis label past
    the labels), from one line of marks and a text a label: a matplotlib tick is a handful of
    artists, made, placed and measured several times a draw (and the locators add locations
    beyond both ends of the view). An axis whose formatter shows an offset or a multiplier
    (large linear counts), or whose ticks are not outward (``xtick.direction``), keeps
    matplotlib's ticks at those locations."""
    import matplotlib
    from matplotlib.axis import XAxis
    from matplotlib.ticker import FixedLocator, NullLocator

    low, high = sorted(axis.get_view_interval())
    slack = 1e-9 * (high - low)
    locations = [loc for loc in axis.get_majorticklocs() if low - slack <= loc <= high + slack]
    formatter = axis.get_major_formatter()
    labels = formatter.format_ticks(locations)
    params = matplotlib.rcParams
    outward = (params["xtick.direction"] if isinstance(axis, XAxis) else
               params["ytick.direction"]) == "out"
    if formatter.get_offset() or not outward:
        axis.set_major_locator(FixedLocator(locations))
        return
    axis.set_major_locator(NullLocator())
    _draw_ticks(axis, locations, labels)


def _draw_ticks(axis: Axis, locations: Sequence[float], labels: Sequence[str]) -> None:
    """The outward marks, labels and axis label of :func:`_ticks_in_view` (rcParams' tick size,
    width, colours, pad and label size; the axis label ``axes.labelpad`` past the labels'
    extent)."""
    import matplotlib
    from matplotlib.axis import XAxis
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.markers import TICKDOWN, TICKLEFT, MarkerStyle
    from matplotlib.textpath import text_to_path
    from matplotlib.transforms import ScaledTranslation

    ax = axis.axes
    figure = ax.get_figure(root=True)
    assert figure is not None, "the axes are in a figure"
    x = isinstance(axis, XAxis)
    params = matplotlib.rcParams
    size, width, base_pad, colour, label_colour, label_size = (
        params["xtick.major.size"], params["xtick.major.width"], params["xtick.major.pad"],
        params["xtick.color"], params["xtick.labelcolor"], params["xtick.labelsize"]) if x else (
        params["ytick.major.size"], params["ytick.major.width"], params["ytick.major.pad"],
        params["ytick.color"], params["ytick.labelcolor"], params["ytick.labelsize"])
    pad = float(size) + float(base_pad)  # an outward tick's label: its size and its pad away
    font = FontProperties(size=label_size)
    along = np.asarray(locations, dtype=np.float64)
    across = np.zeros_like(along)
    marks = Line2D(along if x else across, across if x else along, linestyle="none",
                   marker=MarkerStyle(TICKDOWN if x else TICKLEFT), markersize=size,
                   markeredgewidth=width, color=colour, zorder=2.5, clip_on=False,
                   transform=ax.get_xaxis_transform() if x else ax.get_yaxis_transform())
    ax.add_artist(marks)
    transform, valign, halign = ax.get_xaxis_text1_transform(pad) if x else \
        ax.get_yaxis_text1_transform(pad)
    for location, label in zip(along, labels):
        ax.text(location if x else 0.0, 0.0 if x else location, label, transform=transform,
                va=valign, ha=halign, fontproperties=font,
                color=colour if label_colour == "inherit" else label_colour, clip_on=False)
    # the labels' extent across the axis, in points (a text's box is at least as high as "lp",
    # as matplotlib lays a line out): the axis label goes ``labelpad`` beyond it
    extents = [text_to_path.get_text_width_height_descent(text, font, ismath=False)
               for text in labels]
    extent = max([h for _, h, _ in extents] + [
        text_to_path.get_text_width_height_descent("lp", font, ismath=False)[1]]) if x else \
        max([w for w, _, _ in extents] + [0.0])
    offset = (pad + extent + float(axis.labelpad)) / 72.0
    shift = ScaledTranslation(0.0, -offset, figure.dpi_scale_trans) if x else \
        ScaledTranslation(-offset, 0.0, figure.dpi_scale_trans)
    axis.set_label_coords(0.5 if x else 0.0, 0.0 if x else 0.5, transform=ax.transAxes + shift)


def _add_bars(ax: Axes, left: FloatArray, width: FloatArray, height: FloatArray, *,
              facecolor: str, edgecolor: str, alpha: float, linewidth: float = 0.0,
              hatch: Optional[str] = None) -> None:
    """Bars from 0 to ``height`` over ``left`` to ``left + width``, as one collection (as
    ``Axes.bar`` draws them, which makes an artist of each bar)."""
    from matplotlib.collections import PolyCollection

    right = left + width
    zero = np.zeros_like(height)
    corners = np.stack([np.stack([left, zero], axis=1), np.stack([left, height], axis=1),
                        np.stack([right, height], axis=1), np.stack([right, zero], axis=1)],
                       axis=1)
    bars = PolyCollection(list(corners), facecolors=facecolor, edgecolors=edgecolor,
                          alpha=alpha, linewidths=linewidth, hatch=hatch)
    bars.sticky_edges.y.append(0.0)  # as a bar's: the count axis starts at 0, no margin below
    ax.add_collection(bars)


_SUPERSCRIPTS = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075"
                                                "\u2076\u2077\u2078\u2079")


def power_of_ten_label(value: float, _position: object = None) -> str:
    """A log axis's tick label: ``10`` with the exponent as superscript digits for a power of
    ten (as matplotlib's own log labels show it), none for another value.

    >>> [power_of_ten_label(v) for v in (1.0, 1000.0, 0.01, 50.0)]
    ['10⁰', '10³', '10⁻²', '']
    """
    if not value > 0.0:
        return ""
    exponent = round(math.log10(value))
    if not math.isclose(value, 10.0 ** exponent, rel_tol=1e-9):
        return ""
    return "10" + str(exponent).translate(_SUPERSCRIPTS)


def _percent(level: object) -> str:
    return f"{float(level) * 100:.0f}%" if isinstance(level, (int, float)) else "the"


def _json_floats(value: object) -> FloatArray:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return np.array([math.nan if v is None else float(v) for v in value], dtype=np.float64)
