"""``python -m microproduct ...`` (see :mod:`microproduct.cli`)."""

import sys

from microproduct.cli import main

sys.exit(main())
