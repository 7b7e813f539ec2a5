"""A small progress bar for long command-line jobs, written to stderr so stdout stays clean for reports."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    """`bar(done, total)` redraws at most ten times a second; `bar.close()` ends the line."""

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 30, enabled: bool = True) -> None:
        self.label, self.width, self.enabled = label, width, enabled
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last_draw < 0.1 and done < total):
            return
        self._last_draw = now
        fraction = min(1.0, done / total) if total else 1.0
        filled = int(self.width * fraction)
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {fraction:6.1%} "
            f"{done:,}/{total:,} {rate:,.0f}/s {elapsed:5.1f}s"
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
