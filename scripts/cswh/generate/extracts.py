"""Writing the landing folder: the initial extract, next-day extracts and the manifest."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from cswh.contracts import ENTITIES, Entity
from cswh.generate.output import arrow_table, write_table
from cswh.generate.timeline import DAY, date_ts
from cswh.generate.world import Progress, World, build_world

MANIFEST_NAME = "_generator.json"
MANIFEST_VERSION = 1
FILE_FORMATS = ("csv", "parquet")
USAGE_ENTITY = "daily_feature_usage"
# Usage files are split so that none holds more rows than this.
MAX_ROWS_PER_FILE = 2_000_000


@dataclass
class GenerateResult:
    """What one generate or append call wrote."""

    files: list[Path] = field(default_factory=list)
    rows_by_entity: dict[str, int] = field(default_factory=dict)
    extract_date: date | None = None
    seconds: float = 0.0


# ------------------------------------------------------------------------------------ manifest
def _manifest_path(landing_dir: Path) -> Path:
    return landing_dir / MANIFEST_NAME


def read_manifest(landing_dir: Path) -> dict | None:
    path = _manifest_path(landing_dir)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _write_manifest(landing_dir: Path, manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    _manifest_path(landing_dir).write_text(text, encoding="utf-8")


def _parameters(seed: int, scale: float, end_date: date, file_format: str) -> dict:
    return {
        "seed": int(seed),
        "scale": float(scale),
        "end_date": end_date.isoformat(),
        "file_format": file_format,
    }


def _existing_files(landing_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(landing_dir).as_posix()
        for p in landing_dir.rglob("*")
        if p.is_file() and p.name != MANIFEST_NAME
    )


def _check_landing(landing_dir: Path, wanted: dict) -> None:
    """Refuse to mix generations: a non-empty folder must hold exactly this generation."""
    manifest = read_manifest(landing_dir) if landing_dir.is_dir() else None
    if manifest is None and not (landing_dir.is_dir() and _existing_files(landing_dir)):
        return  # missing, empty, or only empty folders
    if manifest is None:
        raise ValueError(
            f"landing folder {landing_dir} is not empty and holds no {MANIFEST_NAME}: refusing "
            "to write generated extracts among other files; use an empty folder"
        )
    previous = {key: manifest.get(key) for key in wanted}
    if previous != wanted:
        raise ValueError(
            f"landing folder {landing_dir} holds a generation with different parameters "
            f"({previous}); refusing to mix it with {wanted}: use an empty folder"
        )
    if manifest.get("last_extract_date") != manifest.get("end_date"):
        raise ValueError(
            f"landing folder {landing_dir} already holds appended days up to "
            f"{manifest.get('last_extract_date')}; regenerating would leave them inconsistent: "
            "use an empty folder"
        )
    foreign = sorted(set(_existing_files(landing_dir)) - set(manifest.get("files", [])))
    if foreign:
        raise ValueError(
            f"landing folder {landing_dir} holds files the generator did not write "
            f"(e.g. {foreign[0]}); use an empty folder"
        )


# ------------------------------------------------------------------------------------ writing
class _Writer:
    def __init__(self, landing_dir: Path, file_format: str, result: GenerateResult) -> None:
        if file_format not in FILE_FORMATS:
            raise ValueError(f"file_format must be one of {FILE_FORMATS}, got {file_format!r}")
        self.landing_dir = landing_dir
        self.file_format = file_format
        self.result = result

    def path(self, entity: Entity, stem: str) -> Path:
        folder = self.landing_dir / entity.source / entity.name
        return folder / f"{stem}.{self.file_format}"

    def write(self, entity: Entity, stem: str, table: pa.Table) -> None:
        path = self.path(entity, stem)
        write_table(table, path, self.file_format)
        self.result.files.append(path)
        rows = self.result.rows_by_entity
        rows[entity.name] = rows.get(entity.name, 0) + table.num_rows

    def write_usage(self, entity: Entity, stem: str, table: pa.Table) -> None:
        if table.num_rows <= MAX_ROWS_PER_FILE:
            self.write(entity, stem, table)
            return
        parts = -(-table.num_rows // MAX_ROWS_PER_FILE)
        for part in range(parts):
            chunk = table.slice(part * MAX_ROWS_PER_FILE, MAX_ROWS_PER_FILE)
            self.write(entity, f"{stem}_part{part + 1}", chunk)


def _usage_months(world: World, first: date, last: date) -> range:
    month_of = world.timeline.month_of
    return range(int(month_of(date_ts(first))), int(month_of(date_ts(last))) + 1)


def _day_range_filter(table: pa.Table, first: date, last: date) -> pa.Table:
    dates = table.column("usage_date")
    keep = pc.and_(pc.greater_equal(dates, pa.scalar(first)), pc.less_equal(dates, pa.scalar(last)))
    return table.filter(keep)


def _write_initial(world: World, writer: _Writer, progress: Progress | None) -> None:
    timeline = world.timeline
    end = timeline.end
    months = _usage_months(world, timeline.start, end)
    total = len(ENTITIES) - 1 + len(months)
    done = 0
    for entity in ENTITIES:
        if entity.name == USAGE_ENTITY:
            continue
        log = world.logs[entity.name]
        rows = log.as_of(timeline.end_cutoff_ts)
        writer.write(
            entity, f"{entity.name}__{end.isoformat()}", arrow_table(entity, log.take(rows))
        )
        done += 1
        if progress is not None:
            progress("write", done, total)
    usage = next(e for e in ENTITIES if e.name == USAGE_ENTITY)
    for month in months:
        table = _day_range_filter(world.usage.month(month), timeline.start, end)
        label = timeline.month_date(month).strftime("%Y-%m")
        writer.write_usage(usage, f"{USAGE_ENTITY}__{end.isoformat()}__{label}", table)
        done += 1
        if progress is not None:
            progress("write", done, total)


def generate_landing(
    landing_dir: Path,
    scale: float = 1.0,
    seed: int = 42,
    end_date: date = date(2026, 10, 31),
    file_format: str = "csv",
    progress: Progress | None = None,
) -> GenerateResult:
    """Write the initial extract: every entity as of ``end_date`` 23:59:59 UTC.

    Refuses (ValueError) a non-empty landing folder unless it holds only a previous generation
    with the same parameters and no appended days, which is then rewritten identically.
    """
    started = time.perf_counter()
    landing_dir = Path(landing_dir)
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    wanted = _parameters(seed, scale, end_date, file_format)
    _check_landing(landing_dir, wanted)
    result = GenerateResult(extract_date=end_date)
    writer = _Writer(landing_dir, file_format, result)
    world = build_world(seed, scale, end_date, progress)
    landing_dir.mkdir(parents=True, exist_ok=True)
    _write_initial(world, writer, progress)
    files = sorted(p.relative_to(landing_dir).as_posix() for p in result.files)
    manifest = {
        "generator": "cswh.generate",
        "manifest_version": MANIFEST_VERSION,
        **wanted,
        "start_date": world.timeline.start.isoformat(),
        "horizon_end_date": world.timeline.horizon_end.isoformat(),
        "last_extract_date": end_date.isoformat(),
        "files": files,
    }
    _write_manifest(landing_dir, manifest)
    result.seconds = time.perf_counter() - started
    return result


def _write_day(world: World, writer: _Writer, day: date, usage_cache: dict) -> None:
    """Rows created or changed on ``day`` (their version as of its end) and that day's usage."""
    after = date_ts(day) - 1
    until = date_ts(day) + DAY - 1
    stem_date = day.isoformat()
    for entity in ENTITIES:
        if entity.name == USAGE_ENTITY:
            month = world.usage.month_index(date_ts(day))
            if month not in usage_cache:
                usage_cache.clear()
                usage_cache[month] = world.usage.month(month)
            table = _day_range_filter(usage_cache[month], day, day)
            if table.num_rows:
                writer.write_usage(entity, f"{entity.name}__{stem_date}", table)
            continue
        log = world.logs[entity.name]
        rows = log.changed_between(after, until)
        if len(rows):
            table = arrow_table(entity, log.take(rows))
            writer.write(entity, f"{entity.name}__{stem_date}", table)


def append_next_day(
    landing_dir: Path, days: int = 1, progress: Progress | None = None
) -> GenerateResult:
    """Append the extracts of the next ``days`` days after the last extract date.

    Re-simulates the same world from the manifest (seed, scale, end date) and writes, per day,
    only what changed that day. Entities with nothing new that day get no file.
    """
    started = time.perf_counter()
    landing_dir = Path(landing_dir)
    manifest = read_manifest(landing_dir)
    if manifest is None:
        raise ValueError(
            f"landing folder {landing_dir} has no {MANIFEST_NAME}: run generate_landing first"
        )
    if days < 1:
        raise ValueError(f"days must be at least 1, got {days}")
    last = date.fromisoformat(manifest["last_extract_date"])
    horizon_end = date.fromisoformat(manifest["horizon_end_date"])
    final = last + timedelta(days=days)
    if final > horizon_end:
        raise ValueError(
            f"cannot append through {final}: the simulation of this landing folder ends at "
            f"{horizon_end}; generate again with a later end_date"
        )
    world = build_world(
        manifest["seed"], manifest["scale"], date.fromisoformat(manifest["end_date"]), progress
    )
    result = GenerateResult(extract_date=final)
    writer = _Writer(landing_dir, manifest["file_format"], result)
    usage_cache: dict = {}
    for i in range(days):
        day = last + timedelta(days=i + 1)
        _write_day(world, writer, day, usage_cache)
        manifest["last_extract_date"] = day.isoformat()
        if progress is not None:
            progress("append", i + 1, days)
    added = [p.relative_to(landing_dir).as_posix() for p in result.files]
    manifest["files"] = sorted(set(manifest["files"]) | set(added))
    _write_manifest(landing_dir, manifest)
    result.seconds = time.perf_counter() - started
    return result
