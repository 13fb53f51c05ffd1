"""What a load reports back, and the errors a load can end with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    """One load attempt of one entity (one row of ``meta.loads``)."""

    load_id: str
    source: str
    entity: str
    strategy: str  # incremental / full_refresh / backfill
    status: str  # success / warn / failed / noop
    rows_offered: int
    rows_loaded: int
    rows_quarantined: int
    cursor_before: str | None
    cursor_after: str | None
    message: str

    def line(self) -> str:
        """One human line, as the CLI prints it."""
        return (
            f"{self.source + '.' + self.entity:<22} {self.status:<7} offered={self.rows_offered} "
            f"loaded={self.rows_loaded} quarantined={self.rows_quarantined}  {self.message}"
        ).rstrip()


class LoadFailed(RuntimeError):
    """One or more loads failed. Raw and meta are as the last good run left them.

    ``results`` holds every load attempted in the call (failed and successful ones), so a caller
    (Dagster, a notebook) can report exactly what happened.
    """

    def __init__(self, results: list[LoadResult]) -> None:
        self.results = results
        failed = [r for r in results if r.status == "failed"]
        lines = "\n".join(f"  {r.source}.{r.entity} ({r.load_id}): {r.message}" for r in failed)
        super().__init__(f"{len(failed)} load(s) failed:\n{lines}")


class RejectRatioExceeded(RuntimeError):
    """Too many rows of one load were rejected: the whole load is refused."""


class InvariantViolation(RuntimeError):
    """rows_offered != rows_loaded + rows_quarantined: a bug, never committed."""
