"""Disk-full errors: recognised wherever they surface (Python I/O, DuckDB, dbt's messages).

A full disk is not bad input and not a failed test: it needs one clear message saying what was
being written where, how much space is left, and that the published warehouse is intact.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

# errno values of "no room": the device is full, or the user's quota is used up.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# How DuckDB and the C library word the same condition inside error messages.
DISK_FULL_PHRASES = ("no space left on device", "disk quota exceeded", "disk is full")


class DiskFull(Exception):
    """Writing failed because the disk (or quota) is full; the message says where and what."""


def is_disk_full(error: BaseException | str) -> bool:
    """True for an OSError with a disk-full errno, or any error whose message says so."""
    if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
        return True
    text = str(error).lower()
    return any(phrase in text for phrase in DISK_FULL_PHRASES)


def free_bytes(path: Path) -> int | None:
    """Free bytes on the file system holding ``path`` (or its nearest existing parent)."""
    probe = Path(path).resolve()
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return shutil.disk_usage(probe).free
    except OSError:
        return None


def describe_free_space(path: Path) -> str:
    free = free_bytes(path)
    if free is None:
        return "free space unknown"
    return f"{free / 2**20:,.1f} MiB free there"


def disk_full(step: str, path: Path, detail: str = "") -> DiskFull:
    """The one message for a full disk: the step, the path being written, the space left."""
    suffix = f" ({detail})" if detail else ""
    return DiskFull(
        f"disk full while {step}: {path}{suffix}; {describe_free_space(path)}. Free space on "
        "that disk (or point the warehouse elsewhere) and run again"
    )
