"""Small, consistent plots for chapters (chapters call these instead of defining their own).

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot, so a notebook displays
each one exactly once (as the cell's result) and no global plotting state leaks between cells.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def figure(figsize: tuple[float, float]):
    """A new ``Figure`` (not registered with pyplot). In a Jupyter kernel, switch on the inline
    backend first: it registers the PNG formatter that displays a returned figure."""
    from matplotlib.figure import Figure

    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: the figure can still be saved with fig.savefig()
        shell = None
    else:
        shell = get_ipython()
    if shell is not None and not getattr(shell, "_sproutly_inline", False):
        shell.run_line_magic("matplotlib", "inline")
        shell._sproutly_inline = True
    return Figure(figsize=figsize)


def bars(
    df: pd.DataFrame,
    x: str,
    y: str,
    *,
    title: str,
    xlabel: str | None = None,
    ylabel: str | None = None,
    figsize: tuple[float, float] = (8, 3),
):
    """A bar chart of ``df[y]`` against ``df[x]`` (e.g. sign-ups per week)."""
    fig = figure(figsize)
    ax = fig.add_subplot()
    labels = [str(v)[:10] for v in df[x]]
    ax.bar(labels, df[y], color="#43a047")
    ax.set_title(title)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.tick_params(axis="x", labelrotation=60, labelsize=8)
    fig.tight_layout()
    return fig


def lines(
    df: pd.DataFrame,
    x: str,
    ys: Sequence[str],
    *,
    title: str,
    ylabel: str = "",
    figsize: tuple[float, float] = (8, 3),
):
    """One line per column in ``ys`` against ``df[x]`` (e.g. MRR over time)."""
    fig = figure(figsize)
    ax = fig.add_subplot()
    for column in ys:
        ax.plot(df[x], df[column], label=column)
    ax.set_title(title)
    ax.set_xlabel(x)
    ax.set_ylabel(ylabel)
    if len(ys) > 1:
        ax.legend()
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
