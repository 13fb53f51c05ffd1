"""ingestion: extract from Sproutly's systems and load, incrementally, into the DuckDB raw layer.

```python
from ingestion import load, backfill_events, status, IngestionConfig
results = load("all")                       # one LoadResult per entity
backfill_events(date(2026, 3, 1), date(2026, 3, 7))
status()                                    # latest load per entity (pandas)
```
No transformations here (business logic lives in dbt) and no Dagster imports.
"""

from ingestion.api import backfill_events, load, status
from ingestion.config import IngestionConfig, MissingSetting
from ingestion.destination import Destination, DuckDBDestination, WarehouseLocked
from ingestion.results import LoadFailed, LoadResult

__all__ = [
    "Destination",
    "DuckDBDestination",
    "IngestionConfig",
    "LoadFailed",
    "LoadResult",
    "MissingSetting",
    "WarehouseLocked",
    "backfill_events",
    "load",
    "status",
]
