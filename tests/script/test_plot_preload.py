"""matplotlib is imported on a background thread while the script fits (preload_plotting)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calibration_step.script.model_calibration import plotting
from calibration_step.script.model_calibration.plotting import (_import_plotting, plot_reliability,
                                                                preload_plotting)


def test_preload_imports_matplotlib_with_the_agg_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.delitem(sys.modules, plotting._PLOTTING_MODULE, raising=False)
    monkeypatch.setattr(plotting, "_import_plotting", lambda: calls.append("imported"))
    thread = preload_plotting()
    assert thread is not None
    thread.join(timeout=60)
    assert calls == ["imported"]


def test_preload_is_skipped_once_matplotlib_is_imported() -> None:
    _import_plotting()
    assert preload_plotting() is None
    import matplotlib

    assert matplotlib.get_backend().lower() == "agg"


def test_a_failed_preload_is_left_to_the_plot(monkeypatch: pytest.MonkeyPatch) -> None:
    """The thread swallows the error; plot_reliability meets it again and main records it."""
    def broken() -> None:
        raise ImportError("no matplotlib here")

    monkeypatch.delitem(sys.modules, plotting._PLOTTING_MODULE, raising=False)
    monkeypatch.setattr(plotting, "_import_plotting", broken)
    thread = preload_plotting()
    assert thread is not None
    thread.join(timeout=60)
    assert not thread.is_alive()
    with pytest.raises(ImportError, match="no matplotlib here"):
        plot_reliability("unused.png", [])


_EXIT_DURING_PRELOAD = """
import sys, time
from pathlib import Path
from calibration_step.script.model_calibration import plotting

def slow_import() -> None:
    time.sleep(1.0)
    Path(sys.argv[1]).write_text("imported")

sys.modules.pop(plotting._PLOTTING_MODULE, None)
plotting._import_plotting = slow_import
plotting.preload_plotting()
sys.exit(2)
"""


def test_a_run_that_ends_during_the_preload_exits_after_it(tmp_path: Path) -> None:
    """An early exit (an error, SIGTERM) does not finalise the interpreter under the importing
    thread: a thread ended inside matplotlib's C++ extension imports aborts the process."""
    marker = tmp_path / "imported"
    done = subprocess.run([sys.executable, "-c", _EXIT_DURING_PRELOAD, str(marker)],
                          capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 2, done.stderr
    assert marker.read_text() == "imported"
