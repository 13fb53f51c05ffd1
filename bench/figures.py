"""One measured figure, its target, and the pass/miss verdict.

A :class:`Figure` is a row of the results table. Its target comes from the issue (see
:data:`TARGETS`); a figure without a target is informative only (verdict ``info``). Verdicts:

- ``pass``  the value is within the target (``value <= bound``);
- ``miss``  the value is over the target;
- ``info``  no target applies to this figure (or not at this scale);
- ``error`` the measurement failed (``value`` is None; ``note`` says why).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

#: Scale of the course (the notebooks' default) and of the ~10M-event run.
COURSE_SCALE = 1.0
LARGE_SCALE = 45.0  # ~10M events since the calibration (issue 13): ~224k events per unit of scale


@dataclass(frozen=True)
class Target:
    """An upper bound from the issue: the figure passes when ``value <= bound``.

    ``scale`` restricts the target to one scale (e.g. "at ~10M events"); None applies it at any.
    """

    bound: float
    unit: str
    scale: float | None = None

    def text(self) -> str:
        if self.unit == "x":
            return f"<= {self.bound:g}x"
        if self.unit == "%":
            return f"<= {self.bound:g} %"
        return f"<= {self.bound:g} {self.unit}"

    def applies(self, scale: float | None) -> bool:
        return self.scale is None or self.scale == scale


#: The targets of issue #7, keyed by figure key.
TARGETS: dict[str, Target] = {
    "setup.cold_s": Target(30.0, "s"),
    "pipeline.dagster_s": Target(60.0, "s", scale=LARGE_SCALE),
    "dbt.ratio_build_to_replay": Target(1.5, "x", scale=LARGE_SCALE),
    "dbt.ratio_repeat_to_replay": Target(4.0, "x", scale=COURSE_SCALE),
    "daily.incremental_pct_of_full": Target(20.0, "%", scale=LARGE_SCALE),
    "notebooks.chapter_s": Target(30.0, "s", scale=COURSE_SCALE),
    "make_test.s": Target(600.0, "s"),
    "serving.p95_ms": Target(20.0, "ms"),
}


def verdict(value: float | None, target: Target | None, scale: float | None) -> str:
    """``pass`` / ``miss`` / ``info`` / ``error`` for one value (see the module docstring)."""
    if value is None:
        return "error"
    if target is None or not target.applies(scale):
        return "info"
    return "pass" if value <= target.bound else "miss"


def median(values: list[float]) -> float | None:
    """The median of the measured values (None when there are none)."""
    return statistics.median(values) if values else None


@dataclass
class Figure:
    """One row: ``key`` names the figure family (it selects the target), ``label`` what it is."""

    section: str
    key: str
    label: str
    value: float | None
    unit: str
    scale: float | None = None
    runs: int = 1
    note: str = ""
    samples: list[float] = field(default_factory=list)

    @classmethod
    def from_samples(
        cls, section: str, key: str, label: str, samples: list[float], unit: str, **kw: Any
    ) -> Figure:
        """A figure whose value is the median of ``samples`` (one per run)."""
        return cls(section, key, label, median(samples), unit, runs=len(samples),
                   samples=[round(s, 4) for s in samples], **kw)  # fmt: skip

    @classmethod
    def failed(cls, section: str, key: str, label: str, unit: str, why: str, **kw: Any) -> Figure:
        """A figure whose measurement failed: value None, verdict ``error``."""
        return cls(section, key, label, None, unit, runs=0, note=why, **kw)

    @property
    def target(self) -> Target | None:
        target = TARGETS.get(self.key)
        return target if target is not None and target.applies(self.scale) else None

    @property
    def verdict(self) -> str:
        return verdict(self.value, TARGETS.get(self.key), self.scale)

    def as_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["target"] = self.target.text() if self.target else None
        row["verdict"] = self.verdict
        return row
