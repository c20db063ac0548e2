"""Progress reporting for the long steps (generate, load, dbt build), without a dependency.

On a terminal a step is one bar redrawn in place; anywhere else (CI logs, pipes, tests) it is a
plain line every ``every`` items and at the end, in the same format, so a log stays short and
greppable (``  load       [######........................] 25/120``).

dbt runs in a subprocess; :func:`stream_dbt` reads its output, counts the nodes it finished from
its "N of M" result lines, and drives the same progress. On a terminal only what needs attention
(failures, warnings, dbt's closing summary) is echoed; elsewhere dbt's output passes through
unchanged, because a CI log is where the full detail is wanted.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

BAR_WIDTH = 30
PLAIN_EVERY = 25
# Redraw a terminal bar at most this often: dbt can finish dozens of tests per second.
REDRAW_SECONDS = 0.1

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# dbt prints "12:00:01  17 of 577 START ..." when a node starts and "17 of 577 OK|PASS|WARN|
# ERROR|FAIL|SKIP ..." when it ends; only the end lines count as done.
DBT_NODE_DONE = re.compile(r"\b(\d+) of (\d+) (OK|PASS|WARN|ERROR|FAIL|SKIP|NO-OP)\b")
DBT_NEEDS_ATTENTION = re.compile(r"\b\d+ of \d+ (WARN|ERROR|FAIL)\b")
# From here on dbt prints its closing summary and the detail of every failure.
DBT_SUMMARY_START = re.compile(r"\bFinished running\b|\bCompleted (successfully|with)\b")

DBT_CANCEL_SECONDS = 15

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


def stream_dbt(
    command: Sequence[str],
    step: str,
    progress: Progress,
    verbose: bool = False,
    **popen: object,
) -> int:
    """Run dbt, report its progress as ``step``, and return its exit code.

    With ``verbose`` (or when progress is not interactive) every dbt line is echoed as dbt wrote
    it; otherwise only the lines that need attention and dbt's closing summary.
    """
    echo_all = verbose or not progress.interactive
    in_summary = False
    done = 0
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        **popen,
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            line = line.rstrip("\n")
            plain = ANSI_ESCAPE.sub("", line)
            in_summary = in_summary or bool(DBT_SUMMARY_START.search(plain))
            if echo_all or in_summary or DBT_NEEDS_ATTENTION.search(plain):
                progress.echo(line)
            node = DBT_NODE_DONE.search(plain)
            if node and not in_summary:
                done += 1
                progress(step, done, int(node.group(2)))
        return process.wait()
    except KeyboardInterrupt:
        # On a terminal dbt got the same SIGINT and cancels its queries; give it that time, then
        # stop it (the interrupt may have come to this process alone).
        try:
            process.wait(timeout=DBT_CANCEL_SECONDS)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait()
        raise
    finally:
        progress.close()
        process.stdout.close()
