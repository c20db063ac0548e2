"""The landing folder: which paths are extracts to load, and reading one extract exactly once.

Every path under ``<landing>/`` is accounted for (:func:`scan_landing`): an extract in
``<source>/<entity>/`` with a supported name ending, or a :class:`LandingProblem` saying why it is
not loaded. Hidden names (a leading ``.``) are the convention of transfer tools for a delivery in
progress, and a leading ``_`` marks metadata (``_SUCCESS``, ``_generator.json``): both are
reported as ignored, not refused. Everything else (unknown folders, unsupported
types, subfolders, dangling links, special files) is refused, so a misplaced delivery fails the
load loudly instead of vanishing.

:func:`read_snapshot` reads a file once: its hash and the rows loaded come from the same bytes,
and a file that changed while it was read is refused.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cswh.contracts import ENTITIES, Entity
from cswh.vendors import VENDORS
from cswh.vendors.base import VENDOR_TYPES_TEXT, vendor_format
from cswh.vendors.config import SourceSystems, read_source_systems

# Name endings the loader reads, and the format each holds. A gzip-compressed CSV is
# decompressed in memory; its content hash is that of the decompressed text, so the same extract
# delivered plain and compressed loads once.
EXTRACT_FORMATS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet"}
SUPPORTED_TYPES_TEXT = ".csv, .csv.gz or .parquet"


class FileRefused(Exception):
    """The file as a whole cannot be loaded; the message says why and what to do."""


def load_order(entities: Iterable[Entity] = ENTITIES) -> list[Entity]:
    """Entities with every referenced entity before its referrers (stable: contract order).

    Self-references (a contact's manager is a contact) do not constrain the order; they are checked
    against the same file instead.
    """
    pending = list(entities)
    names = {entity.name for entity in pending}
    placed: list[Entity] = []
    done: set[str] = set()
    while pending:
        ready = next(
            (
                entity
                for entity in pending
                if all(
                    parent in done or parent == entity.name or parent not in names
                    for parent, _ in entity.references.values()
                )
            ),
            None,
        )
        if ready is None:
            cycle = ", ".join(entity.name for entity in pending)
            raise ValueError(f"the contracts' references form a cycle among: {cycle}")
        placed.append(ready)
        done.add(ready.name)
        pending.remove(ready)
    return placed


# ------------------------------------------------------------------------------------ discovery


def extract_format(path: Path) -> str | None:
    """``csv`` or ``parquet`` for a name the loader reads, else None."""
    name = path.name.lower()
    return next((kind for ending, kind in EXTRACT_FORMATS.items() if name.endswith(ending)), None)


@dataclass(frozen=True)
class LandingProblem:
    """A path under the landing folder that is not an extract to load, and why."""

    path: Path
    message: str
    ignored: bool = False  # True: reported, but not a failure (hidden files)
    entity: Entity | None = None


@dataclass
class LandingScan:
    extracts: list[tuple[Entity, Path]] = field(default_factory=list)
    problems: list[LandingProblem] = field(default_factory=list)
    # Vendor files: (vendor, table, path), in vendor, table and name order.
    vendor_files: list[tuple[str, str, Path]] = field(default_factory=list)
    systems: SourceSystems = field(default_factory=lambda: SourceSystems(None))


def _is_hidden(path: Path) -> bool:
    """Hidden (``.name``) or metadata (``_name``: ``_SUCCESS``, ``_generator.json``)."""
    return path.name.startswith((".", "_"))


HIDDEN_MESSAGE = (
    "hidden or metadata file (name starts with '.' or '_'), not loaded: transfer tools write a "
    "delivery under a hidden name and rename it when complete; rename it if it is an extract"
)


# dlt's filesystem destination marks a dataset folder with an empty file of this name.
DLT_DATASET_MARKER = "init"
DLT_MARKER_MESSAGE = "dlt's dataset marker file, not loaded"


def _files_under(folder: Path) -> list[Path]:
    """Every file, link and special file below ``folder`` (links to folders are not followed)."""
    found: list[Path] = []
    for root, folders, names in os.walk(folder, followlinks=False):
        base = Path(root)
        found += [base / name for name in names]
        found += [base / name for name in folders if (base / name).is_symlink()]
    return sorted(found)


def _refuse_all(
    scan: LandingScan, folder: Path, message: str, entity: Entity | None = None
) -> None:
    for path in _files_under(folder):
        if any(part.startswith((".", "_")) for part in path.relative_to(folder).parts):
            scan.problems.append(LandingProblem(path, HIDDEN_MESSAGE, True, entity))
        else:
            scan.problems.append(LandingProblem(path, message, entity=entity))


def _classify_entity_file(
    scan: LandingScan, entity: Entity | None, path: Path, vendor: bool = False
) -> None:
    folder = f"{path.parent.parent.name}/{path.parent.name}/"
    if _is_hidden(path):
        scan.problems.append(LandingProblem(path, HIDDEN_MESSAGE, True, entity))
    elif path.is_symlink() and not path.exists():
        scan.problems.append(
            LandingProblem(
                path,
                f"is a symbolic link to {os.readlink(path)}, which does not exist; fix the link "
                "or deliver the file itself",
                entity=entity,
            )
        )
    elif path.is_dir():
        _refuse_all(
            scan,
            path,
            f"lies in a subfolder of {folder}; the loader reads only files directly in "
            f"{folder}: move it up",
            entity,
        )
    elif not path.is_file():
        scan.problems.append(
            LandingProblem(
                path,
                "is not a regular file (a pipe, socket or device); deliver the extract as a file",
                entity=entity,
            )
        )
    elif (vendor_format(path) if vendor else extract_format(path)) is None:
        supported = VENDOR_TYPES_TEXT if vendor else SUPPORTED_TYPES_TEXT
        scan.problems.append(
            LandingProblem(
                path, f"has an unsupported file type; deliver {supported}", entity=entity
            )
        )
    else:
        scan.extracts.append((entity, path))  # type: ignore[arg-type]


def _scan_vendor_folder(scan: LandingScan, top: Path) -> None:
    """The files of ``<landing>/<vendor>/<table>/``, for the vendor's adapter."""
    adapter = scan.systems.adapters.get(top.name)
    if adapter is None:
        _refuse_all(
            scan,
            top,
            f"lies in the vendor folder {top.name}/, but no source system is configured to come "
            f"from {top.name}; name it in the source-systems file "
            f"({scan.systems.path or '<landing>/_source_systems.yml'}), e.g. "
            f"'<source system>: {{vendor: {top.name}}}' (docs/sources/{top.name}.md)",
        )
        return
    tables = sorted(t.name for t in adapter.tables)
    for second in sorted(top.iterdir()):
        if _is_hidden(second):
            scan.problems.append(LandingProblem(second, HIDDEN_MESSAGE, True))
        elif second.name == DLT_DATASET_MARKER and second.is_file():
            scan.problems.append(LandingProblem(second, DLT_MARKER_MESSAGE, True))
        elif not second.is_dir():
            scan.problems.append(
                LandingProblem(
                    second,
                    f"lies directly in {top.name}/; put it in {top.name}/<table>/ "
                    f"({', '.join(tables)})",
                )
            )
        elif second.name not in tables:
            _refuse_all(
                scan,
                second,
                f"lies in {top.name}/{second.name}, which is no {adapter.title} table the adapter "
                f"reads (known: {', '.join(tables)})",
            )
        else:
            for path in sorted(second.iterdir()):
                before = len(scan.extracts)
                _classify_entity_file(scan, None, path, vendor=True)
                for _, found in scan.extracts[before:]:
                    scan.vendor_files.append((top.name, second.name, found))
                del scan.extracts[before:]


def scan_landing(landing_dir: Path) -> LandingScan:
    """Every path under ``<landing>/``: the extracts to load (referenced entities first, then name
    order per entity, so parents are in ``raw`` before their children are checked), the vendor
    files, and every other path with the reason it is not loaded.

    Raises :class:`cswh.vendors.config.SourceSystemsError` for an unusable source-systems file.
    """
    by_folder = {(e.source, e.name): e for e in ENTITIES}
    by_name = {e.name: e for e in ENTITIES}
    sources = sorted({e.source for e in ENTITIES})
    scan = LandingScan(systems=read_source_systems(landing_dir))
    found: dict[str, list[tuple[Entity, Path]]] = {}
    for top in sorted(landing_dir.iterdir()):
        if _is_hidden(top):
            scan.problems.append(LandingProblem(top, HIDDEN_MESSAGE, True))
            continue
        if not top.is_dir():
            scan.problems.append(
                LandingProblem(
                    top,
                    "lies at the top of the landing folder; extracts go in <source>/<entity>/ "
                    "(e.g. support_desk/tickets/)",
                )
            )
            continue
        if top.name in VENDORS:
            _scan_vendor_folder(scan, top)
            continue
        if top.name not in sources:
            _refuse_all(
                scan,
                top,
                f"lies in an unknown source folder '{top.name}' (known: {', '.join(sources)}; "
                f"vendors: {', '.join(VENDORS)})",
            )
            continue
        entities_here = sorted(e.name for e in ENTITIES if e.source == top.name)
        for second in sorted(top.iterdir()):
            entity = by_folder.get((top.name, second.name))
            vendor = scan.systems.adapter_for_entity(second.name)
            if entity is not None and second.is_dir() and vendor is not None:
                _refuse_all(
                    scan,
                    second,
                    f"delivers {entity.name} natively, but the source-systems file says "
                    f"{entity.source} comes from {vendor.vendor}, whose adapter delivers "
                    f"{entity.name}; remove the file or set '{entity.source}: {{vendor: native}}'",
                    entity,
                )
                continue
            if entity is not None and second.is_dir():
                for path in sorted(second.iterdir()):
                    before = len(scan.extracts)
                    _classify_entity_file(scan, entity, path)
                    found.setdefault(entity.name, []).extend(scan.extracts[before:])
                    del scan.extracts[before:]
                continue
            if _is_hidden(second):
                scan.problems.append(LandingProblem(second, HIDDEN_MESSAGE, True))
            elif not second.is_dir():
                scan.problems.append(
                    LandingProblem(
                        second,
                        f"lies directly in {top.name}/; put it in {top.name}/<entity>/ "
                        f"({', '.join(entities_here)})",
                    )
                )
            else:
                elsewhere = by_name.get(second.name)
                hint = (
                    f"; {second.name} extracts belong in {elsewhere.source}/{second.name}/"
                    if elsewhere is not None
                    else f" (known: {', '.join(entities_here)})"
                )
                _refuse_all(
                    scan, second, f"lies in an unknown entity folder {top.name}/{second.name}{hint}"
                )
    for entity in load_order():
        scan.extracts.extend(found.get(entity.name, []))
    return scan


def discover_files(landing_dir: Path) -> list[tuple[Entity, Path]]:
    """The extract files to load, in load order (see :func:`scan_landing`)."""
    return scan_landing(landing_dir).extracts


def has_extract_files(landing_dir: Path, entity: Entity) -> bool:
    folder = landing_dir / entity.source / entity.name
    return folder.is_dir() and any(
        not _is_hidden(path) and path.is_file() and extract_format(path) is not None
        for path in folder.iterdir()
    )


# ------------------------------------------------------------------------------------ snapshot


@dataclass(frozen=True)
class Snapshot:
    """One read of a file: the content (decompressed), its SHA-256 and the bytes on disk."""

    content: bytes
    sha256: str
    file_bytes: int


def _read_all(handle: BinaryIO) -> bytes:
    return handle.read()


def _read_bytes_once(path: Path) -> tuple[bytes, os.stat_result, os.stat_result]:
    """The file's bytes in one read, with its status before and after."""
    before = os.stat(path)
    with path.open("rb") as handle:
        content = _read_all(handle)
    return content, before, os.stat(path)


def read_snapshot(path: Path) -> Snapshot:
    """Read the file once; refuse it if it changed meanwhile, cannot be read or is corrupt."""
    try:
        content, before, after = _read_bytes_once(path)
    except PermissionError:
        raise FileRefused(
            "cannot be read: permission denied; give the loader's user read access to the file"
        ) from None
    except FileNotFoundError:
        raise FileRefused(
            "disappeared while being loaded (moved or deleted); deliver it again"
        ) from None
    except OSError as error:
        raise FileRefused(f"cannot be read ({error.strerror or error}); deliver it again") from None
    unchanged = (before.st_ino, before.st_size, before.st_mtime_ns) == (
        after.st_ino,
        after.st_size,
        after.st_mtime_ns,
    )
    if not unchanged or len(content) != after.st_size:
        raise FileRefused(
            "changed while it was being read (still being written?); nothing of it was loaded "
            "and the next load tries it again. Deliver files under a hidden name (.name) and "
            "rename them when complete"
        )
    if path.name.lower().endswith(".gz"):
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError, zlib.error) as error:
            raise FileRefused(
                f"is not a complete gzip file ({error}); compress it again or deliver it "
                "uncompressed"
            ) from None
    return Snapshot(content, hashlib.sha256(content).hexdigest(), after.st_size)


def file_sha256(path: Path) -> str:
    """The content hash the loader records for a file (of the decompressed content)."""
    return read_snapshot(path).sha256
