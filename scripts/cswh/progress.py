"""Progress reporting for the long steps (generate, load, dbt build), without a dependency.

On a terminal a step is one bar redrawn in place; anywhere else (CI logs, pipes, tests) it is a
plain line every ``every`` items and at the end, in the same format, so a log stays short and
greppable (``  load       [######........................] 25/120``).

dbt drives the same progress from its events (:mod:`cswh.dbt_runner`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30
PLAIN_EVERY = 25
# Redraw a terminal bar at most this often: dbt can finish dozens of tests per second.
REDRAW_SECONDS = 0.1


ProgressCallback = Callable[[str, int, int], None]


def render_line(step: str, done: int, total: int) -> str:
    filled = int(BAR_WIDTH * min(done, total) / max(total, 1))
    return f"  {step:<10} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"


class Progress:
    """Callable as ``progress(step, done, total)``, the signature the generator and loader take."""

    def __init__(
        self,
        stream: TextIO | None = None,
        interactive: bool | None = None,
        every: int = PLAIN_EVERY,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.every = every
        self._open_line: str | None = None
        self._last_redraw = 0.0

    def __call__(self, step: str, done: int, total: int) -> None:
        finished = done >= total
        if not self.interactive:
            if finished or done % self.every == 0:
                print(render_line(step, done, total), file=self.stream, flush=True)
            return
        now = time.monotonic()
        if not finished and self._open_line == step and now - self._last_redraw < REDRAW_SECONDS:
            return
        if self._open_line not in (None, step):
            # A new step while the previous bar was left unfinished: keep that bar on its line.
            self.stream.write("\n")
        self.stream.write("\r" + render_line(step, done, total) + ("\n" if finished else ""))
        self.stream.flush()
        self._open_line = None if finished else step
        self._last_redraw = now

    def echo(self, text: str, stream: TextIO | None = None) -> None:
        """Print a line above an open bar without tearing it."""
        target = stream if stream is not None else sys.stdout
        if self.interactive and self._open_line is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._last_redraw = 0.0  # redraw the bar on the next update
        print(text, file=target, flush=True)

    def close(self) -> None:
        """End an unfinished bar (a failed or interrupted step) so the next output starts clean."""
        if self.interactive and self._open_line is not None:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = None
