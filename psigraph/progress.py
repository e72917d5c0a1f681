"""One progress bar for long work (say, export, video encoding): a single line on stderr."""
from __future__ import annotations

import sys
import time


class ProgressBar:
    """``update(fraction, detail)`` redraws at most every 0.2 s, and only after ``delay_s`` of work
    (short jobs print nothing); ``done()`` clears the line, or ends it with ``keep=True``."""

    def __init__(self, enabled: bool, label: str = "", delay_s: float = 0.0, every_s: float = 0.2):
        self.enabled, self.label, self.delay, self.every = enabled, label, delay_s, every_s
        self.start, self.shown, self._last, self._width = time.perf_counter(), False, float("-inf"), 0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def update(self, fraction: float | None, detail: str = "", force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.start < self.delay or (not force and now - self._last < self.every):
            return
        self._last, self.shown = now, True
        line = f"{self.label} " if self.label else ""
        if fraction is not None:
            f = min(max(fraction, 0.0), 1.0)
            n = int(30 * f)
            line += f"[{'#' * n}{'.' * (30 - n)}] {100 * f:5.1f} %  "
        line += detail
        self._width = max(self._width, len(line))
        sys.stderr.write("\r" + line.ljust(self._width))
        sys.stderr.flush()

    def done(self, keep: bool = False) -> None:
        if self.shown:
            sys.stderr.write("\n" if keep else "\r" + " " * self._width + "\r")
            sys.stderr.flush()
