"""Plots for chapter 03 (marts and metrics): MRR movements and retention cohorts.

Built on :func:`workbook.plots.figure` (a ``Figure``, not pyplot), so each figure displays once.
"""

from __future__ import annotations

import pandas as pd

from workbook.plots import figure

#: Movement columns of ``fct_mrr_daily`` / ``metrics_daily``, in stacking order, with colours.
MOVEMENTS = {
    "new_mrr": "#43a047",
    "expansion_mrr": "#1e88e5",
    "reactivation_mrr": "#8e24aa",
    "contraction_mrr": "#fb8c00",
    "churned_mrr": "#e53935",
}


def weekly_movements(daily: pd.DataFrame) -> pd.DataFrame:
    """Sum daily MRR movements into weeks (starting Monday); MRR is the week's last day's."""
    frame = daily.copy()
    frame["date_day"] = pd.to_datetime(frame["date_day"])
    frame["week"] = frame["date_day"].dt.to_period("W-SUN").dt.start_time
    numeric = {column: "sum" for column in MOVEMENTS} | {"mrr": "last"}
    weekly = frame.sort_values("date_day").groupby("week").agg(numeric).reset_index()
    return weekly.astype({column: float for column in [*MOVEMENTS, "mrr"]})


def mrr_movements(daily: pd.DataFrame, *, title: str = "MRR movements per week"):
    """Stacked weekly movements (gains up, losses down) with MRR as a line on a second axis.

    ``daily`` needs ``date_day``, ``mrr`` and the movement columns of :data:`MOVEMENTS`.
    """
    weekly = weekly_movements(daily)
    fig = figure((9, 3.8))
    ax = fig.add_subplot()
    labels = weekly["week"].dt.strftime("%m-%d")
    positive = [0.0] * len(weekly)
    negative = [0.0] * len(weekly)
    for column, colour in MOVEMENTS.items():
        values = weekly[column].tolist()
        gains = column in {"new_mrr", "expansion_mrr", "reactivation_mrr"}
        bottom = positive if gains else negative
        ax.bar(labels, values, bottom=bottom, color=colour, label=column.removesuffix("_mrr"))
        for i, value in enumerate(values):
            bottom[i] += value
    ax.axhline(0, color="#555555", linewidth=0.8)
    ax.set_ylabel("movement per week")
    ax.set_xlabel("week starting")
    ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    line_axis = ax.twinx()
    line_axis.plot(labels, weekly["mrr"], color="#212121", marker="o", markersize=3, label="MRR")
    line_axis.set_ylabel("MRR at week end")
    line_axis.set_ylim(bottom=0)
    ax.legend(loc="lower left", fontsize=8, ncols=5)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def cohort_heatmap(cohorts: pd.DataFrame, *, title: str = "Retention by sign-up month"):
    """A heatmap of ``retention_rate`` by ``cohort_month`` x ``months_since_signup``."""
    table = cohorts.pivot(
        index="cohort_month", columns="months_since_signup", values="retention_rate"
    ).sort_index()
    fig = figure((6, 3))
    ax = fig.add_subplot()
    image = ax.imshow(table.to_numpy(dtype=float), cmap="Greens", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
    ax.set_yticks(range(len(table.index)), [str(i)[:7] for i in table.index])
    for row, cohort in enumerate(table.index):
        for column, month in enumerate(table.columns):
            value = table.loc[cohort, month]
            if pd.notna(value):
                colour = "white" if value > 0.6 else "black"
                ax.text(
                    column, row, f"{value:.0%}", ha="center", va="center", fontsize=8, color=colour
                )
    ax.set_xlabel("months since sign-up")
    ax.set_ylabel("cohort")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.05)
    fig.tight_layout()
    return fig
