"""Child side of :func:`esepy.testing.run_and_kill` (``python -m esepy._crash_child ARGFILE``)."""
from __future__ import annotations

import importlib
import os
import pickle
import sys
from typing import Any, List


def main(argv: List[str]) -> int:
    """Import the target function, report the start, run it, report the end."""
    with open(argv[1], "rb") as f:
        target, folder, args, kwargs = pickle.load(f)
    modname, qual = target.split(":", 1)
    obj: Any = importlib.import_module(modname)
    for part in qual.split("."):
        obj = getattr(obj, part)
    fd = int(os.environ["ESEPY_CRASH_FD"])
    os.write(fd, b"__start__\n")
    obj(folder, *args, **kwargs)
    os.write(fd, b"__done__\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
