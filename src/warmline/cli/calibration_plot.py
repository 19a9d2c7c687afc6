"""`warmline calibrate --plot`: cost curves as a PNG (matplotlib, Agg backend, optional
extra `plot`)."""

from __future__ import annotations

import math
from pathlib import Path

from warmline.core.analytics.calibration import GRID, Calibration
from warmline.core.errors import InvalidInput, Problem


def write_plot(result: Calibration, out: Path) -> None:
    """One panel per question type (cost per 1,000 against the threshold, with the current,
    cost-derived and recommended thresholds marked) and one for the global threshold.

    Raises:
        InvalidInput: matplotlib is not installed, or the file cannot be written.
    """
    try:
        import matplotlib as mpl

        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise InvalidInput([Problem("--plot needs matplotlib: pip install 'warmline[plot]'",
                                    file=str(out))]) from err
    panels = [*result.question_types.values()]
    cols = min(3, len(panels) + 1)
    rows = math.ceil((len(panels) + 1) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax, t in zip(flat, panels, strict=False):
        ax.plot(GRID, t.curve, color="#1f77b4")
        ax.axvline(t.current, color="#7f7f7f", linestyle=":", label=f"current {t.current:.2f}")
        if t.cost_derived is not None:
            ax.axvline(t.cost_derived, color="#ff7f0e", linestyle="--",
                       label=f"cost-derived {t.cost_derived:.2f}")
        ax.axvline(t.threshold, color="#2ca02c", label=f"recommended {t.threshold:.2f}")
        ax.set_title(f"{t.name} (n={t.n}{', kept' if t.kept else ''})", fontsize=10)
        ax.legend(fontsize=7)
    ax = flat[len(panels)]
    ax.plot(GRID, result.global_curve, color="#9467bd")
    ax.axvline(result.global_threshold, color="#2ca02c",
               label=f"best global {result.global_threshold:.2f}")
    ax.axhline(result.per_type_cost.mean or 0.0, color="#d62728", linestyle="--",
               label="per-type plan")
    ax.set_title(f"one global threshold (n={result.n})", fontsize=10)
    ax.legend(fontsize=7)
    for ax in flat[len(panels) + 1:]:
        ax.axis("off")
    for ax in flat[:len(panels) + 1]:
        ax.set_xlabel("threshold", fontsize=8)
        ax.set_ylabel("cost per 1,000", fontsize=8)
        ax.set_xlim(0, 1)
    fig.tight_layout()
    try:
        fig.savefig(out, dpi=110)
    except OSError as err:
        raise InvalidInput([Problem(f"cannot write the plot: {err.strerror}",
                                    file=str(out))]) from err
    finally:
        plt.close(fig)
