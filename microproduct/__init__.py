"""Sproutly, the simulated product: its app database, billing API and event file drops.

The pipeline treats these as external systems. Notebooks and tests use::

    from microproduct import Simulation, running
    sim = Simulation(seed=42, scale=0.05)
    sim.init(days=30)                      # app.db, billing.db, landing/events/..., clock.json
    with running(token="secret") as api:   # the billing API over HTTP on 127.0.0.1
        ...
    sim.advance(days=1)                    # one more simulated day; the clock moves
"""

from microproduct.billing_api import BillingAPI, RequestRecord, running
from microproduct.simulation import RunSummary, Simulation

__all__ = ["BillingAPI", "RequestRecord", "RunSummary", "Simulation", "running"]
