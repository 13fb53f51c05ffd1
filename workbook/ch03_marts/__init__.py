"""Chapter 03, marts: MRR movements and retention cohorts as plots (``plots``), and the answer
key behind its exercises (``exercises``)."""
