"""dbt driven through its programmatic runner (``dbtRunner``), its progress read from its events.

dbt runs in this process: every event it fires reaches :class:`DbtEvents`, which counts finished
nodes for the progress bar (``NodeFinished``; the node total comes with the ``Log*Result`` and
``LogStartLine`` events) and decides what to show. Nothing parses dbt's human log lines.

What is shown: where the output is not a terminal (CI, pipes, tests), or with ``--verbose``, dbt
prints its own log lines as usual — colour codes off, so a log file holds plain text. On a
terminal dbt's console log is switched off and only what needs attention is echoed: warnings,
errors, failed nodes and dbt's closing summary, above the progress bar. dbt's full log always
goes to ``$DBT_LOG_PATH/dbt.log``, without colour codes.

dbt does not support two invocations at once in one process, and every command here runs one
after the other. Two callers still start dbt in a child process, for a reason: the benchmark
(``cswh.bench``) measures the peak memory of dbt alone, and a child's resource usage is how.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from cswh import settings
from cswh.progress import Progress

# dbt fires one of these per node when it ends, with the node's index and the node total.
RESULT_EVENTS = {
    "LogModelResult",
    "LogTestResult",
    "LogSeedResult",
    "LogSnapshotResult",
    "LogNodeNoOpResult",
    "LogFreshnessResult",
    "SkippingDetails",
}
# From this event on dbt prints its closing summary and the detail of every failure.
SUMMARY_STARTS = {"FinishedRunningStats", "EndOfRunSummary"}
ATTENTION_LEVELS = {"warn", "error"}


def project_arguments() -> list[str]:
    return ["--project-dir", str(settings.REPO_ROOT), "--profiles-dir", str(settings.REPO_ROOT)]


def output_arguments(interactive: bool, verbose: bool) -> list[str]:
    """dbt flags for its console and file logs: plain text wherever it is not a terminal."""
    flags = ["--no-use-colors-file"]
    if not sys.stdout.isatty():
        flags.append("--no-use-colors")
    if interactive and not verbose:
        flags += ["--log-level", "none"]  # DbtEvents echoes what needs attention instead
    return flags


class DbtEvents:
    """dbtRunner callback: progress from ``NodeFinished``, echoes of what needs attention."""

    def __init__(self, step: str, progress: Progress, echo: bool) -> None:
        self.step = step
        self.progress = progress
        self.echo = echo  # False: dbt prints its own lines
        self.done = 0
        self.total = 0
        self.in_summary = False

    def __call__(self, event: Any) -> None:
        name = event.info.name
        data = event.data
        if name in RESULT_EVENTS or name == "LogStartLine":
            total = getattr(data, "total", 0) or getattr(data, "num_models", 0)
            self.total = max(self.total, total)
        self.in_summary = self.in_summary or name in SUMMARY_STARTS
        if self.echo and event.info.msg and self._worth_echoing(event):
            self.progress.echo(event.info.msg)
        if name == "NodeFinished" and not self.in_summary:
            self.done += 1
            self.progress(self.step, self.done, max(self.total, self.done))

    def _worth_echoing(self, event: Any) -> bool:
        level = event.info.level
        if level == "debug":
            return False
        return self.in_summary or level in ATTENTION_LEVELS


def run_dbt(
    arguments: Sequence[str],
    step: str,
    progress: Progress | None = None,
    verbose: bool = False,
    env: Mapping[str, str] | None = None,
) -> int:
    """Run one dbt command in this process; dbt's exit code (0 ok, 1 failed, 2 dbt error).

    ``env`` is set for the duration of the command (the warehouse path profiles.yml reads).
    Ctrl-C reaches dbt, which cancels its queries; it is raised again here once dbt stopped.
    """
    from dbt.cli.main import dbtRunner

    progress = progress if progress is not None else Progress()
    echo = progress.interactive and not verbose
    events = DbtEvents(step, progress, echo=echo)
    command = [
        *arguments,
        *output_arguments(progress.interactive, verbose),
        *project_arguments(),
    ]
    values = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    try:
        with settings.temporary_environment(values):
            result = dbtRunner(callbacks=[events]).invoke(command)
    finally:
        progress.close()
        _release_duckdb()
    if isinstance(result.exception, KeyboardInterrupt):
        raise KeyboardInterrupt
    if result.success:
        return 0
    if result.exception is not None:
        if echo or not events.done:
            print(f"error: dbt {step}: {result.exception}", file=sys.stderr)
        return 2
    return 1


def _release_duckdb() -> None:
    """Close the DuckDB file dbt-duckdb opened: it keeps its instance in a class attribute until
    the process exits, and this process goes on to check, rename and reopen that file."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter only
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
