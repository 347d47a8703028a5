"""PNG chart of index results: ranks over the years per index, and points lost per field.

Rendered with matplotlib's Agg backend (no display) and DejaVu Sans, which ships with matplotlib and
has the Vietnamese glyphs (ư, ơ, ạ, ế, ...).
"""

from __future__ import annotations

import io
import logging
from typing import Any

from core.indices import COLORS
from core.text import fmt_number

logger = logging.getLogger(__name__)

FONT = "DejaVu Sans"


def warm_up() -> None:
    """Import matplotlib ahead of the first ``/diem`` (a long-running bot can call this at start-up)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401

    matplotlib.rcParams["font.family"] = matplotlib.rcParams["font.family"]


def render_chart(
    province: str,
    year: int,
    trend: dict[str, list[tuple[int, int, bool, Any]]],
    fields_lost: list[tuple[str, float]],
) -> bytes:
    """Left: rank per year and index (1 at the top; hollow markers = derived ranks). Right (when the year
    has field results): points lost per field, most first."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.family": FONT, "font.size": 9, "axes.unicode_minus": False}):
        ncols = 2 if fields_lost else 1
        fig = Figure(figsize=(11 if ncols == 2 else 6.5, 4.6), dpi=100)
        FigureCanvasAgg(fig)  # no pyplot, no display
        axes = fig.subplots(1, ncols, squeeze=False)
        ax = axes[0][0]
        worst = 1
        for label, pts in trend.items():
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            worst = max(worst, *ys)
            color = COLORS.get(label, "#333333")
            ax.plot(xs, ys, "-", color=color, label=label, linewidth=1.8)
            for x, y, derived, _row in pts:
                ax.plot([x], [y], "o", color=color, markerfacecolor="white" if derived else color, markersize=7)
                ax.annotate(str(y), (x, y), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
        ax.invert_yaxis()
        ax.set_ylim(worst + 5, 0)
        years = sorted({p[0] for pts in trend.values() for p in pts})
        if years:
            ax.set_xticks(years)
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.set_ylabel("Thứ hạng (1 = cao nhất)")
        ax.set_title(f"Thứ hạng các chỉ số — tỉnh {province}")
        ax.grid(alpha=0.3)
        if trend:
            ax.legend(loc="lower left", fontsize=8, title="○ = suy ra từ thay đổi thứ hạng", title_fontsize=7)
        else:
            ax.text(0.5, 0.5, "Chưa có dữ liệu thứ hạng", ha="center", va="center", transform=ax.transAxes)
        if fields_lost:
            bx = axes[0][1]
            names = [_wrap(n) for n, _v in fields_lost][::-1]
            vals = [v for _n, v in fields_lost][::-1]
            bars = bx.barh(names, vals, color="#d62728", alpha=0.75)
            for b, v in zip(bars, vals, strict=True):
                bx.text(b.get_width() + 0.05, b.get_y() + b.get_height() / 2, fmt_number(v), va="center", fontsize=8)
            bx.set_xlabel("Số điểm bị mất so với điểm tối đa")
            bx.set_title(f"PAR INDEX {year}: điểm bị mất theo lĩnh vực")
            bx.set_xlim(0, max(vals) * 1.2 if vals else 1)
            bx.tick_params(axis="y", labelsize=7.5)
        if fields_lost:
            fig.subplots_adjust(left=0.06, right=0.97, bottom=0.12, top=0.92, wspace=0.62)
        else:
            fig.subplots_adjust(left=0.11, right=0.97, bottom=0.12, top=0.92)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def _wrap(text: str, width: int = 34) -> str:
    words = text.split()
    lines: list[str] = []
    cur = ""
    for w in words:
        if len(cur) + len(w) + 1 > width and cur:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    if cur:
        lines.append(cur)
    return "\n".join(lines[:3])
