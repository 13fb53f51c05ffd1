"""One module per source system: app database, billing API, event file drops."""
