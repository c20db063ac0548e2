"""One writer at a time: an exclusive lock per warehouse file, held by load, build and run.

DuckDB refuses a second read-write connection to a file, but only while the first is open; the
write-audit-publish run works on a candidate copy, so a `cswh load` into the published file during
a run would succeed and then be overwritten by the publish. The lock closes that gap: every
command that writes a warehouse first takes ``<warehouse>.lock`` (an advisory ``flock``, released
by the operating system when the process ends, so a crash never leaves it held). A second writer
waits up to ``wait_seconds`` (``--wait`` or ``CSWH_LOCK_WAIT_SECONDS``, default 0) and then
refuses with a message naming the holder. Readers (BI tools, the dashboard, `cswh export`) never
take it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cswh import settings

LOCK_SUFFIX = ".lock"
WAIT_ENV = "CSWH_LOCK_WAIT_SECONDS"
POLL_SECONDS = 0.2


class WarehouseBusy(Exception):
    """Another process holds the warehouse's write lock; the message names it."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + LOCK_SUFFIX)


def wait_seconds_setting() -> float:
    """How long a writer waits for the lock by default, from ``CSWH_LOCK_WAIT_SECONDS``."""
    return settings.lock_wait_seconds()


def _holder(handle) -> str:
    handle.seek(0)
    try:
        holder = json.loads(handle.read() or "{}")
    except ValueError:
        return "another process"
    if not holder:
        return "another process"
    command, pid, since = (holder.get(key, "?") for key in ("command", "pid", "since"))
    return f"`{command}` (pid {pid}, since {since} UTC)"


@contextmanager
def warehouse_lock(warehouse: Path, command: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's write lock for the block; raise :class:`WarehouseBusy` if taken."""
    path = lock_path(Path(warehouse))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        deadline = time.monotonic() + wait_seconds
        announced = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(handle)
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"{warehouse} is being written by {holder}; only one writer at a time. "
                        f"Wait for it to finish, or pass --wait SECONDS (or set {WAIT_ENV}) to "
                        "queue behind it"
                    ) from None
                if not announced:
                    print(f"waiting for {holder} to release {warehouse}", file=sys.stderr)
                    announced = True
                time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
        handle.write(json.dumps({"command": command, "pid": os.getpid(), "since": since}))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    finally:
        handle.close()
