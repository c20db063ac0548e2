"""Render the dbt staging YAML (sources and staging-model properties) from the extract contracts.

For each source system two files are rendered into ``models/staging/<source>/``:

* ``_<source>__sources.yml``: the raw tables the loader fills, with freshness and column types;
* ``_<source>__models.yml``: one staging model per entity, every column described and the tests
  the contract implies (primary key, required, allowed values, foreign keys).

The rendered files are committed. ``write_dbt_yaml`` rewrites them and ``check_dbt_yaml`` lists
the ones that no longer match ``contracts.py`` (the CLI wires these to ``cswh contracts``).
Rendering is deterministic: contract order, no key sorting, no timestamps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cswh.contracts import CURRENCY_MINOR_UNITS, ENTITIES, ENTITIES_BY_NAME, SOURCES, Column, Entity
from cswh.raw_schema import LINEAGE_COLUMNS, RAW_SCHEMA, WAREHOUSE_TYPES

STAGING_DIR = Path("models") / "staging"

HEADER = (
    "# Rendered from scripts/cswh/contracts.py by `cswh contracts --write`: do not edit by hand.\n"
    "# Change the contract, re-render, and commit both.\n"
)

# What one row of each staging model is, for the grain sentence of its description.
ENTITY_GRAIN: dict[str, str] = {
    "tickets": "support ticket",
    "escalations": "escalation",
    "customers": "billing customer",
    "plans": "price plan",
    "subscriptions": "subscription",
    "subscription_item_versions": "subscription item version",
    "invoices": "invoice",
    "invoice_lines": "invoice line",
    "accounts": "customer account",
    "contacts": "contact",
    "activities": "activity",
    "onboarding_projects": "onboarding project",
    "success_plan_goals": "success plan goal",
    "survey_responses": "survey response",
    "csm_sentiment_pulses": "CSM sentiment pulse",
    "csms": "CSM",
    "opportunities": "opportunity",
    "features": "feature",
    "daily_feature_usage": "account, feature and usage date",
}

# Entities with a composite key get a single-column surrogate key in staging, so later models
# can join and test on one column. Every composite-key entity must be listed here.
SURROGATE_KEYS: dict[str, str] = {
    "daily_feature_usage": "daily_feature_usage_id",
    "exchange_rates": "exchange_rate_id",
}

# Columns a staging model derives from its contract columns (normalised measures), rendered after
# the contract columns with their tests; the SQL is hand-written in the staging model.
_SATISFACTION_SCALES = ["five_point", "good_bad"]
STAGING_DERIVED_COLUMNS: dict[str, tuple[dict[str, Any], ...]] = {
    "tickets": (
        {
            "name": "csat_scale",
            "description": "The scale the ticket was rated on: five_point (csat_rating 1-5) or "
            "good_bad (csat_good_bad); empty when not rated. "
            "{{doc('staging_csat_normalised')}}",
            "data_tests": [{"accepted_values": {"arguments": {"values": _SATISFACTION_SCALES}}}],
        },
        {
            "name": "is_csat_satisfied",
            "description": "The rating counts as satisfied: 4 or 5 on the five-point scale, good "
            "on the good/bad scale; empty when not rated. CSAT = satisfied / rated. "
            "{{doc('staging_csat_normalised')}}",
        },
    ),
    "survey_responses": (
        {
            "name": "is_csat_satisfied",
            "description": "For CSAT surveys (1-5): the answer counts as satisfied (4 or 5), as "
            "for ticket CSAT; empty for other survey types. "
            "{{doc('staging_csat_normalised')}}",
        },
    ),
}

# Checks across columns of a staging model that the contract cannot express per column.
STAGING_MODEL_TESTS: dict[str, tuple[dict[str, Any], ...]] = {
    "tickets": (
        # Both scales on one ticket: the extract is broken, and no rule could pick one.
        {
            "expression_is_true": {
                "name": "stg_support_desk__tickets_rated_on_one_scale",
                "arguments": {"expression": "csat_rating is null or csat_good_bad is null"},
            }
        },
        # Deletion is never unknown in staging: an empty is_deleted is false unless deleted_at.
        {
            "expression_is_true": {
                "name": "stg_support_desk__tickets_deletion_known",
                "arguments": {
                    "expression": "is_deleted is not null and (deleted_at is null or is_deleted)"
                },
            }
        },
    ),
}

# Lineage columns the staging models carry through from raw (`_source_row_number` is only used
# to order versions and is dropped).
STAGING_LINEAGE_COLUMNS: tuple[str, ...] = ("_source_file", "_load_id", "_loaded_at")

_LINEAGE_DESCRIPTIONS: dict[str, str] = {name: text for name, _, text in LINEAGE_COLUMNS}


# ----------------------------------------------------------------------------- names and paths


def staging_model_name(entity: Entity) -> str:
    return f"stg_{entity.source}__{entity.name}"


def sources_yaml_path(source: str) -> Path:
    """Repository-relative path of a source system's rendered sources YAML."""
    return STAGING_DIR / source / f"_{source}__sources.yml"


def models_yaml_path(source: str) -> Path:
    """Repository-relative path of a source system's rendered staging-models YAML."""
    return STAGING_DIR / source / f"_{source}__models.yml"


def staging_sql_path(entity: Entity) -> Path:
    """Repository-relative path of an entity's (hand-written) staging model."""
    return STAGING_DIR / entity.source / f"{staging_model_name(entity)}.sql"


def surrogate_key(entity: Entity) -> str | None:
    """Name of the surrogate key column of a composite-key entity, else None."""
    if len(entity.key) == 1:
        return None
    try:
        return SURROGATE_KEYS[entity.name]
    except KeyError:
        raise ValueError(
            f"entity {entity.name} has a composite key {entity.key}: name its surrogate key in "
            "cswh.dbt_yaml.SURROGATE_KEYS"
        ) from None


def grain(entity: Entity) -> str:
    """The grain sentence of an entity's staging model: 'One row per ticket, latest version.'"""
    what = ENTITY_GRAIN.get(entity.name, ", ".join(entity.key))
    return f"One row per {what}, latest version."


def entities_of(source: str) -> list[Entity]:
    return [entity for entity in ENTITIES if entity.source == source]


# ----------------------------------------------------------------------------- descriptions


def _referenced(entity: Entity, column: Column) -> tuple[Entity, str] | None:
    target = entity.references.get(column.name)
    if target is None:
        return None
    target_entity, target_column = target
    return ENTITIES_BY_NAME[target_entity], target_column


def _column_notes(entity: Entity, column: Column, *, in_staging: bool) -> list[str]:
    notes = []
    if entity.key == (column.name,):
        notes.append("Primary key.")
    elif column.name in entity.key:
        notes.append(f"Part of the composite key ({', '.join(entity.key)}).")
    referenced = _referenced(entity, column)
    if referenced is not None:
        target, target_column = referenced
        where = staging_model_name(target) if in_staging else f"{target.source}.{target.name}"
        notes.append(f"References {where}.{target_column}.")
    if column.is_pii:
        notes.append("PII.")
    return notes


def _column_description(entity: Entity, column: Column, *, in_staging: bool) -> str:
    return " ".join([column.description, *_column_notes(entity, column, in_staging=in_staging)])


def _column_meta(entity: Entity, column: Column) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if entity.key == (column.name,):
        meta["primary_key"] = True
    if column.is_pii:
        meta["contains_pii"] = True
    return meta


def _model_description(entity: Entity) -> str:
    # The dedupe rule is written once, in models/staging/_staging__docs.md.
    if entity.updated_at_column != "updated_at":
        raise ValueError(
            f"entity {entity.name}: staging orders versions by updated_at, not "
            f"{entity.updated_at_column}; update the staging model, its docs and this renderer"
        )
    return (
        f"{grain(entity)} Reads {RAW_SCHEMA}.{entity.table_name}. "
        "{{doc('staging_latest_version')}} "
        f"Raw grain: {entity.description}"
    )


# ----------------------------------------------------------------------------- documents


def sources_document(source: str) -> dict[str, Any]:
    tables = []
    for entity in entities_of(source):
        columns = []
        for column in entity.columns:
            item: dict[str, Any] = {
                "name": column.name,
                "description": _column_description(entity, column, in_staging=False),
                "data_type": WAREHOUSE_TYPES[column.type],
            }
            meta = _column_meta(entity, column)
            if meta:
                item["config"] = {"meta": meta}
            columns.append(item)
        columns += [
            {"name": name, "description": text, "data_type": sql_type}
            for name, sql_type, text in LINEAGE_COLUMNS
        ]
        tables.append(
            {
                "name": entity.name,
                "identifier": entity.table_name,
                "description": entity.description,
                "config": {
                    "loaded_at_field": "_loaded_at",
                    "freshness": {
                        "warn_after": {"count": entity.warn_after_hours, "period": "hour"},
                        "error_after": {"count": entity.error_after_hours, "period": "hour"},
                    },
                },
                "columns": columns,
            }
        )
    return {
        "version": 2,
        "sources": [
            {
                "name": source,
                "description": SOURCES[source],
                "schema": RAW_SCHEMA,
                "loader": "cswh load",
                "tables": tables,
            }
        ],
    }


def _column_tests(entity: Entity, column: Column) -> list[Any]:
    tests: list[Any] = []
    if entity.key == (column.name,):
        tests.append("unique")
    if column.required or column.name in entity.key:
        tests.append("not_null")
    if column.allowed_values:
        tests.append({"accepted_values": {"arguments": {"values": list(column.allowed_values)}}})
    referenced = _referenced(entity, column)
    if referenced is not None:
        target, target_column = referenced
        # dbt's relationships test, skipped while the parent has no row: a reference to an entity
        # never delivered is not an orphan, as in the loader (tests/generic/).
        tests.append(
            {
                "relationships_where_parent_delivered": {
                    "arguments": {
                        "to": f"ref('{staging_model_name(target)}')",
                        "field": target_column,
                    }
                }
            }
        )
    return tests


def _model(entity: Entity) -> dict[str, Any]:
    columns: list[dict[str, Any]] = []
    model: dict[str, Any] = {
        "name": staging_model_name(entity),
        "description": _model_description(entity),
    }
    # Reconciliation: staging keeps exactly one row per distinct key delivered in raw.
    model["data_tests"] = [
        {
            "row_count_matches_distinct_source_keys": {
                "arguments": {
                    "source_name": entity.source,
                    "table_name": entity.name,
                    "key_columns": list(entity.key),
                }
            }
        }
    ]
    surrogate = surrogate_key(entity)
    if surrogate is not None:
        model["data_tests"].append(
            {
                "unique_combination_of_columns": {
                    "arguments": {"combination_of_columns": list(entity.key)}
                }
            }
        )
        # No unique/not_null test of its own: the hash of key parts that are each not null and
        # unique together is both, and on the largest table (daily feature usage) a second
        # uniqueness scan of every row cost as much as the combination test itself.
        columns.append(
            {
                "name": surrogate,
                "description": "Surrogate primary key: a hash of "
                f"{', '.join(entity.key)} (the composite natural key), unique and not null "
                "because the key is (tested on the key columns).",
                "config": {"meta": {"primary_key": True}},
            }
        )
    for column in entity.columns:
        item: dict[str, Any] = {
            "name": column.name,
            "description": _column_description(entity, column, in_staging=True),
        }
        meta = _column_meta(entity, column)
        if meta:
            item["config"] = {"meta": meta}
        tests = _column_tests(entity, column)
        if tests:
            item["data_tests"] = tests
        columns.append(item)
    columns += [dict(column) for column in STAGING_DERIVED_COLUMNS.get(entity.name, ())]
    model["data_tests"] += [dict(test) for test in STAGING_MODEL_TESTS.get(entity.name, ())]
    columns += [
        {"name": name, "description": _LINEAGE_DESCRIPTIONS[name]}
        for name in STAGING_LINEAGE_COLUMNS
    ]
    model["columns"] = columns
    return model


def models_document(source: str) -> dict[str, Any]:
    return {"version": 2, "models": [_model(entity) for entity in entities_of(source)]}


# ----------------------------------------------------------------------------- rendering


# Strings longer than this are written as folded blocks (``>-``) so lines stay readable.
_FOLD_AFTER = 72


class _Dumper(yaml.SafeDumper):
    """Safe dumper that indents lists under their parent key, as dbt projects usually do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = ">" if len(data) > _FOLD_AFTER and data == data.strip() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(document: dict[str, Any]) -> str:
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
    return HEADER + "\n" + body


def render_sources_yaml(source: str) -> str:
    return _dump(sources_document(source))


def render_models_yaml(source: str) -> str:
    return _dump(models_document(source))


CURRENCIES_SEED_PATH = Path("seeds/currencies.csv")


def render_currencies_seed() -> str:
    """The currencies seed: every accepted ISO 4217 code and its minor units."""
    rows = [f"{code},{units}" for code, units in sorted(CURRENCY_MINOR_UNITS.items())]
    return "\n".join(["currency,minor_units", *rows]) + "\n"


def rendered_files() -> dict[Path, str]:
    """Every rendered file: repository-relative path -> text, in a stable order."""
    files: dict[Path, str] = {CURRENCIES_SEED_PATH: render_currencies_seed()}
    for source in SOURCES:
        files[sources_yaml_path(source)] = render_sources_yaml(source)
        files[models_yaml_path(source)] = render_models_yaml(source)
    return files


def _stale_files(repo_root: Path, expected: dict[Path, str]) -> list[Path]:
    """Rendered files left behind by a source system that is no longer in the contracts."""
    staging = repo_root / STAGING_DIR
    if not staging.is_dir():
        return []
    stale = []
    for pattern in ("*/_*__sources.yml", "*/_*__models.yml"):
        for path in sorted(staging.glob(pattern)):
            relative = path.relative_to(repo_root)
            if relative in expected:
                continue
            if path.read_text(encoding="utf-8").startswith(HEADER):
                stale.append(relative)
    return stale


def write_dbt_yaml(repo_root: Path) -> list[Path]:
    """Render the staging YAML into ``repo_root``; return the files written or removed.

    Files whose content is already current are left untouched (and not returned). Rendered files
    of a source system no longer in the contracts are removed.
    """
    expected = rendered_files()
    changed = []
    for relative, text in expected.items():
        path = repo_root / relative
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        changed.append(path)
    for relative in _stale_files(repo_root, expected):
        (repo_root / relative).unlink()
        changed.append(repo_root / relative)
    return changed


def check_dbt_yaml(repo_root: Path) -> list[str]:
    """Repository-relative paths of rendered files that are missing, differ or are stale."""
    expected = rendered_files()
    out_of_date = []
    for relative, text in expected.items():
        path = repo_root / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            out_of_date.append(relative.as_posix())
    out_of_date += [relative.as_posix() for relative in _stale_files(repo_root, expected)]
    return out_of_date
