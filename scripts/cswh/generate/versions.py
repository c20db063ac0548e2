"""Version logs: every row version of an entity over the whole simulated horizon.

A mutable record (a ticket, an invoice) is simulated once with all its event times; ``expand``
turns it into one row version per event (*stage*), each a snapshot with the fields of later events
still empty and ``updated_at`` set to the event time. Extracts are then cuts of the log:

- the initial extract holds, per key, the latest version with ``updated_at`` <= end_date 23:59:59;
- the extract of a later day D holds, per key, the latest version with ``updated_at`` on D.

So the latest version per key over the initial extract plus appended days always equals the cut
of the log at the last appended day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cswh.contracts import Column, Entity
from cswh.generate.timeline import NULL_DATE, NULL_INT, NULL_TS

Values = np.ndarray | str | int | float | bool | None


def null_value(column: Column) -> object:
    return {
        "string": None,
        "integer": NULL_INT,
        "decimal": np.nan,
        "rate": np.nan,
        "date": NULL_DATE,
        "timestamp": NULL_TS,
        "boolean": False,
    }[column.type]


def null_array(column: Column, n: int) -> np.ndarray:
    dtype = {
        "string": object,
        "integer": np.int64,
        "decimal": np.float64,
        "rate": np.float64,
        "date": np.int32,
        "timestamp": np.int64,
        "boolean": bool,
    }[column.type]
    return np.full(n, null_value(column), dtype=dtype)


@dataclass
class Stage:
    """One event in the life of a record: when it happens (NULL_TS: never) and what it sets."""

    time: np.ndarray
    set: dict[str, Values] = field(default_factory=dict)
    clear: tuple[str, ...] = ()


@dataclass
class EntityLog:
    """All versions of an entity, sorted by (key, updated_at, stage order)."""

    entity: Entity
    columns: dict[str, np.ndarray]
    key: np.ndarray

    @property
    def updated_at(self) -> np.ndarray:
        return self.columns["updated_at"]

    def __len__(self) -> int:
        return len(self.key)

    def _last_per_key(self, mask: np.ndarray) -> np.ndarray:
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return rows
        keys = self.key[rows]
        last = np.append(keys[1:] != keys[:-1], True)
        return rows[last]

    def as_of(self, cutoff_ts: int) -> np.ndarray:
        """Rows of the latest version per key at an instant."""
        return self._last_per_key(self.updated_at <= cutoff_ts)

    def changed_between(self, after_ts: int, until_ts: int) -> np.ndarray:
        """Rows of the latest version per key among versions in (after_ts, until_ts]."""
        updated = self.updated_at
        return self._last_per_key((updated > after_ts) & (updated <= until_ts))

    def take(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        return {name: values[rows] for name, values in self.columns.items()}


def _full(column: Column, value: Values, n: int, selector: np.ndarray) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value[selector]
    out = null_array(column, n)
    out[:] = value if value is not None else null_value(column)
    return out


def expand(
    entity: Entity,
    base: dict[str, np.ndarray],
    key: np.ndarray,
    stages: list[Stage],
    horizon_ts: int,
) -> EntityLog:
    """One row version per stage that happens within the horizon, snapshot style."""
    parts: dict[str, list[np.ndarray]] = {c.name: [] for c in entity.columns}
    keys: list[np.ndarray] = []
    orders: list[np.ndarray] = []
    for order, stage in enumerate(stages):
        time = np.asarray(stage.time, dtype=np.int64)
        selector = np.flatnonzero((time != NULL_TS) & (time <= horizon_ts))
        n = len(selector)
        for column in entity.columns:
            name = column.name
            if name == "updated_at":
                values = time[selector]
            elif name in stage.set:
                values = _full(column, stage.set[name], n, selector)
            elif name in stage.clear:
                values = null_array(column, n)
            elif name in base:
                values = base[name][selector]
            else:
                # A contract column this simulation does not produce: empty in every version.
                values = null_array(column, n)
            parts[name].append(values)
        keys.append(key[selector])
        orders.append(np.full(n, order, dtype=np.int16))
    all_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
    columns = {name: np.concatenate(values) for name, values in parts.items()}
    order = np.lexsort((np.concatenate(orders), columns["updated_at"], all_keys))
    return EntityLog(entity, {n: v[order] for n, v in columns.items()}, all_keys[order])


def immutable(
    entity: Entity, base: dict[str, np.ndarray], key: np.ndarray, horizon_ts: int
) -> EntityLog:
    """A log for records that never change: one version at ``base['updated_at']``."""
    return expand(entity, base, key, [Stage(base["updated_at"])], horizon_ts)
