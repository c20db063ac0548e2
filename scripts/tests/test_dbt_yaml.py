"""The dbt staging YAML is rendered from the contracts, and the staging models follow them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from cswh import dbt_yaml
from cswh.contracts import ENTITIES, ENTITIES_BY_NAME, SOURCES, Column, Entity
from cswh.raw_schema import LINEAGE_COLUMNS, WAREHOUSE_TYPES

REPO_ROOT = Path(__file__).resolve().parents[2]


def _models_by_name() -> dict[str, dict]:
    return {
        model["name"]: model
        for source in SOURCES
        for model in dbt_yaml.models_document(source)["models"]
    }


def _tests_of(column: dict) -> dict[str, dict]:
    """A column's data tests by test name -> arguments ({} for argument-less tests)."""
    tests = {}
    for test in column.get("data_tests", []):
        if isinstance(test, str):
            tests[test] = {}
        else:
            ((name, body),) = test.items()
            tests[name] = body["arguments"]
    return tests


def test_committed_yaml_is_up_to_date() -> None:
    out_of_date = dbt_yaml.check_dbt_yaml(REPO_ROOT)
    assert out_of_date == [], (
        f"dbt YAML out of date with contracts.py: {out_of_date}; "
        "run `cswh contracts --write` and commit the result"
    )


def test_rendering_is_deterministic() -> None:
    assert dbt_yaml.rendered_files() == dbt_yaml.rendered_files()


def test_rendered_text_parses_back_to_the_documents() -> None:
    for source in SOURCES:
        assert yaml.safe_load(dbt_yaml.render_sources_yaml(source)) == (
            dbt_yaml.sources_document(source)
        )
        assert yaml.safe_load(dbt_yaml.render_models_yaml(source)) == (
            dbt_yaml.models_document(source)
        )


def test_write_then_check(tmp_path: Path) -> None:
    expected = sorted(path.as_posix() for path in dbt_yaml.rendered_files())
    # Two YAML files per source system, and the currencies seed.
    assert len(expected) == 2 * len(SOURCES) + 1
    assert dbt_yaml.CURRENCIES_SEED_PATH.as_posix() in expected
    assert sorted(dbt_yaml.check_dbt_yaml(tmp_path)) == expected

    written = dbt_yaml.write_dbt_yaml(tmp_path)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == expected
    assert dbt_yaml.check_dbt_yaml(tmp_path) == []
    assert dbt_yaml.write_dbt_yaml(tmp_path) == [], "unchanged files must not be rewritten"

    edited = tmp_path / dbt_yaml.models_yaml_path("crm")
    edited.write_text(edited.read_text() + "# hand edit\n")
    assert dbt_yaml.check_dbt_yaml(tmp_path) == [dbt_yaml.models_yaml_path("crm").as_posix()]

    # A rendered file of a source system that left the contracts is stale and gets removed;
    # a hand-written YAML file is never touched.
    stale = tmp_path / "models/staging/old_source/_old_source__sources.yml"
    stale.parent.mkdir(parents=True)
    stale.write_text(dbt_yaml.HEADER + "\nversion: 2\n")
    hand_written = tmp_path / "models/staging/old_source/_old_source__models.yml"
    hand_written.write_text("version: 2\n")
    assert dbt_yaml.check_dbt_yaml(tmp_path) == [
        dbt_yaml.models_yaml_path("crm").as_posix(),
        "models/staging/old_source/_old_source__sources.yml",
    ]
    dbt_yaml.write_dbt_yaml(tmp_path)
    assert not stale.exists()
    assert hand_written.exists()
    assert dbt_yaml.check_dbt_yaml(tmp_path) == []


def test_sources_describe_every_raw_column() -> None:
    for source in SOURCES:
        (document,) = dbt_yaml.sources_document(source)["sources"]
        assert document["schema"] == "raw"
        tables = {table["name"]: table for table in document["tables"]}
        assert list(tables) == [e.name for e in ENTITIES if e.source == source]
        for name, table in tables.items():
            entity = ENTITIES_BY_NAME[name]
            assert table["identifier"] == entity.table_name
            assert table["config"]["loaded_at_field"] == "_loaded_at"
            freshness = table["config"]["freshness"]
            assert freshness["warn_after"]["count"] == entity.warn_after_hours
            assert freshness["error_after"]["count"] == entity.error_after_hours
            columns = {column["name"]: column for column in table["columns"]}
            assert list(columns) == entity.column_names + [c[0] for c in LINEAGE_COLUMNS]
            for column in entity.columns:
                rendered = columns[column.name]
                assert rendered["description"].startswith(column.description)
                assert rendered["data_type"] == WAREHOUSE_TYPES[column.type]
                assert ("PII." in rendered["description"]) == column.is_pii


def test_every_staging_model_carries_the_contract_tests() -> None:
    models = _models_by_name()
    assert sorted(models) == sorted(dbt_yaml.staging_model_name(e) for e in ENTITIES)
    for entity in ENTITIES:
        model = models[dbt_yaml.staging_model_name(entity)]
        assert model["description"].startswith(dbt_yaml.grain(entity))
        columns = {column["name"]: column for column in model["columns"]}
        for column in model["columns"]:
            assert column["description"], f"{model['name']}.{column['name']} has no description"

        surrogate = dbt_yaml.surrogate_key(entity)
        if surrogate is None:
            assert {"unique", "not_null"} <= set(_tests_of(columns[entity.key[0]]))
        else:
            # A hash of the composite key: the key's tests cover it, no second scan.
            assert columns[surrogate]["config"]["meta"] == {"primary_key": True}
            assert not _tests_of(columns[surrogate])
        model_tests = {
            name: body["arguments"] for t in model["data_tests"] for name, body in t.items()
        }
        assert model_tests["row_count_matches_distinct_source_keys"] == {
            "source_name": entity.source,
            "table_name": entity.name,
            "key_columns": list(entity.key),
        }
        if surrogate is not None:
            assert model_tests["unique_combination_of_columns"] == {
                "combination_of_columns": list(entity.key)
            }

        for column in entity.columns:
            tests = _tests_of(columns[column.name])
            assert ("not_null" in tests) == (column.required or column.name in entity.key)
            if column.allowed_values:
                assert tests["accepted_values"]["values"] == list(column.allowed_values)
            else:
                assert "accepted_values" not in tests
            if column.name in entity.references:
                target_name, target_column = entity.references[column.name]
                target = dbt_yaml.staging_model_name(ENTITIES_BY_NAME[target_name])
                expected = {"to": f"ref('{target}')", "field": target_column}
                assert tests["relationships_where_parent_delivered"] == expected
            else:
                assert "relationships_where_parent_delivered" not in tests


def test_every_reference_points_at_the_key_of_an_entity() -> None:
    for entity in ENTITIES:
        for column, (target_name, target_column) in entity.references.items():
            entity.column(column)  # raises if the referencing column does not exist
            assert target_name in ENTITIES_BY_NAME, f"{entity.name}.{column}: no {target_name}"
            assert ENTITIES_BY_NAME[target_name].key == (target_column,), (
                f"{entity.name}.{column} references {target_name}.{target_column}, "
                "which is not that entity's key"
            )


def test_composite_key_needs_a_named_surrogate_key() -> None:
    entity = Entity(
        source="crm",
        name="unknown_pairs",
        description="Test entity.",
        key=("a", "b"),
        columns=(Column("a", "string", "A.", required=True), Column("b", "string", "B.")),
        updated_at_column="updated_at",
    )
    with pytest.raises(ValueError, match="SURROGATE_KEYS"):
        dbt_yaml.surrogate_key(entity)


def _final_aliases(sql: str) -> list[str]:
    """Output columns of a staging model: the `as <name>` aliases of its `final` CTE."""
    final = sql.split("final as (", 1)[1].split("\n)", 1)[0]
    return re.findall(r"\bas (\w+),?$", final, flags=re.MULTILINE)


@pytest.mark.parametrize("entity", ENTITIES, ids=lambda e: e.table_name)
def test_staging_model_follows_the_contract(entity: Entity) -> None:
    """Staging SQL is hand-written: it must read its source, dedupe on the key and select exactly
    the documented columns, in the documented order."""
    path = REPO_ROOT / dbt_yaml.staging_sql_path(entity)
    assert path.is_file(), f"missing staging model {path}"
    sql = path.read_text(encoding="utf-8")
    assert f"{{{{ source('{entity.source}', '{entity.name}') }}}}" in sql
    sources_read = set(re.findall(r"source\('(\w+)', '(\w+)'\)", sql))
    assert sources_read == {(entity.source, entity.name)}, "a staging model reads one source"
    assert "ref(" not in sql, "staging models never read other models"
    keys = ", ".join(f"'{k}'" for k in entity.key)
    # The largest tables rank only their keys delivered twice (versions_ranked_ctes).
    assert (
        f"latest_version_rank([{keys}])" in sql
        or f"versions_ranked_ctes('raw_{entity.name}', [{keys}])" in sql
    )
    assert sql.rstrip().endswith("select * from final")

    model = _models_by_name()[dbt_yaml.staging_model_name(entity)]
    assert _final_aliases(sql) == [column["name"] for column in model["columns"]]


def test_staging_sql_is_portable() -> None:
    forbidden = {
        "qualify": re.compile(r"\bqualify\b", re.IGNORECASE),
        ":: cast": re.compile(r"::"),
        "exclude": re.compile(r"\bexclude\b", re.IGNORECASE),
        "group by all": re.compile(r"\bgroup\s+by\s+all\b", re.IGNORECASE),
    }
    for path in sorted((REPO_ROOT / "models").rglob("*.sql")):
        sql = path.read_text(encoding="utf-8")
        for what, pattern in forbidden.items():
            assert not pattern.search(sql), f"{path.relative_to(REPO_ROOT)} uses {what}"
