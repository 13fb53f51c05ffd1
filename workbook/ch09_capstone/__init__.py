"""Chapter 09, the capstone: a new source (the support desk's ticket export,
``microproduct/tickets.py``) carried end to end by the learner in one sandbox. ``capstone`` holds
the sandbox, the publish step and the checks of each step."""
