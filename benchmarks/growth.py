"""How a feed grows with the session: round trip against session length on SQLite, as a plot.

For 100 to 10,000 answered steps: the hot feed (the session in memory, one journal write per
feed; should stay flat) and the cold restore + feed (the session rebuilt from the journal by
replay; linear in the log), with ``benchmarks.core``'s measurements. The curve is drawn into
``benchmarks/growth_session_length.png``.

    python -m benchmarks --only growth
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks._registry import register
from benchmarks._util import Figure, Section, repeat
from benchmarks.core import _cold_restore_ms, _hot_feed_at

HERE = Path(__file__).parent
SIZES = (100, 1000, 3000, 10000)


def session_length(runs: int = 3, sizes: tuple[int, ...] = SIZES) -> Section:
    """The section: hot feed and cold restore per session length, and the plot."""
    section = Section("Round trip vs session length (SQLite journal, default Engine)")
    hot: list[Figure] = []
    cold: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in sizes:
            hot.append(
                section.add(
                    Figure(
                        f"hot feed after {size:,} answers",
                        "ms",
                        repeat(lambda s=size: _hot_feed_at(s, folder), runs),
                    )
                )
            )
            cold.append(
                section.add(
                    Figure(
                        f"cold restore + feed after {size:,} answers",
                        "ms",
                        repeat(lambda s=size: _cold_restore_ms(s, folder, 3), runs),
                    )
                )
            )
    section.ratio(
        f"hot feed {sizes[-1]:,} / {sizes[0]:,} answers (flat = 1)",
        hot[-1].median / hot[0].median,
    )
    section.ratio(
        f"restore {sizes[-1]:,} / {sizes[0]:,} answers (linear = {sizes[-1] // sizes[0]})",
        cold[-1].median / cold[0].median,
    )
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return section
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for figs, label, style in ((hot, "hot feed", "o-"), (cold, "cold restore + feed", "s--")):
        ax.errorbar(
            sizes,
            [f.median for f in figs],
            yerr=[[f.median - f.low for f in figs], [f.high - f.median for f in figs]],
            fmt=style,
            capsize=3,
            label=label,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("answered steps in the session")
    ax.set_ylabel("ms per feed (median, min-max)")
    ax.set_title("feed cost vs session length, SQLite (2 cores, shared)")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(HERE / "growth_session_length.png", dpi=110)
    plt.close(fig)
    section.notes.append("Curve: `benchmarks/growth_session_length.png`.")
    return section


register("growth", __name__, "session_length", {"runs": 3}, {"runs": 1, "sizes": (100, 1000)})
