"""One progress helper for the CLI, the demo and scripts: a tqdm bar that the
engine's progress reports (``esepy.Progress``, counted in KiB) or plain
``update(done, total)`` calls feed, shown in bytes with units for byte counts
("12.3MiB/40.0MiB"), and silent when disabled (no terminal, ``--json``)."""
from __future__ import annotations

import sys
from typing import Any, Optional, TextIO


class ProgressBar:
    """A progress bar on ``file`` (stderr by default).

    ``ProgressBar("backup", unit="B", scale=1024)`` turns the KiB of backup and
    restore reports into bytes shown with binary prefixes; other units ("page",
    "file") are shown as counts.  Call it with an :class:`esepy.Progress` (it is a
    valid ``progress=`` callback) or use :meth:`update`.  ``enabled=False`` makes
    it silent but it still counts (``done``, ``total``, ``updates``).
    """

    def __init__(self, description: str, total: Optional[int] = None, unit: str = "it", *,
                 scale: int = 1, file: Optional[TextIO] = None, enabled: bool = True, leave: bool = True) -> None:
        self.description = description
        self.unit = unit
        self.scale = scale
        self.done = 0
        self.total = total * scale if total is not None else None
        self.updates = 0
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm
            byte_units = unit == "B"
            fmt = ("{desc}: {percentage:3.0f}%|{bar}| {n_fmt}B/{total_fmt}B [{elapsed}<{remaining}, {rate_fmt}]"
                   if byte_units else None)  # "3.2MB/40.0MB": the unit on both counts
            self._bar = tqdm(total=self.total, desc=description, unit=unit, file=file or sys.stderr,
                             leave=leave, dynamic_ncols=True, unit_scale=byte_units,
                             unit_divisor=1024 if byte_units else 1000, bar_format=fmt)

    def update(self, done: int, total: Optional[int] = None) -> None:
        """Set the bar to ``done`` of ``total`` (both in the caller's units, times ``scale``)."""
        self.updates += 1
        done *= self.scale
        if total is not None and total * self.scale != self.total:
            self.total = total * self.scale
            if self._bar is not None:
                self._bar.total = self.total
        if self._bar is not None:
            self._bar.update(max(0, done - self.done))
        self.done = max(self.done, done)

    def __call__(self, p: Any) -> None:
        """Engine progress callback: an object with ``.stage``, ``.done``, ``.total``."""
        total = getattr(p, "total", None)
        self.update(int(getattr(p, "done", 0) or 0), int(total) if total else None)

    def close(self) -> None:
        """Finish the bar (it stays on screen)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
