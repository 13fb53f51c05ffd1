"""Chapter 01, ingest: the answer key behind its exercises (``answers``)."""
