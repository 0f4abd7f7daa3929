"""``python -m esepy``: the esepy command line (see :mod:`esepy.cli`)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
