"""`dbt docs generate` gives a complete catalogue.

Generates the docs of a small built warehouse into a temporary target folder and checks the
artefacts a reader browses: every model, seed and source described; every column the warehouse
actually has (catalog.json) documented in the YAML (manifest.json), and nothing documented that is
not built; every docs block used; the metric formulas of the marts and of the semantic layer
taken from the docs blocks, so the catalogue states each definition once.

Environment:
- the shared sample warehouse (conftest.py's ``sample_copy``: CSWH_TEST_SAMPLE_WAREHOUSE, or one
  built for the session), copied first, because dbt opens the file read-write.

Slow (about two minutes with its own warehouse): deselect with ``pytest -m "not dbt"``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "cs_warehouse"
# Words that mark a description someone meant to write later.
PLACEHOLDER = re.compile(r"\b(todo|tbd|fixme|xxx|placeholder|lorem ipsum)\b", re.IGNORECASE)
# Metric formulas: each semantic-layer metric must carry the text of its docs block.
METRIC_FORMULA_BLOCKS = {
    "mrr": "metric_mrr",
    "arr": "metric_arr",
    "nrr": "metric_nrr",
    "nrr_1m": "metric_nrr",
    "grr": "metric_grr",
    "grr_1m": "metric_grr",
    "logo_churn_rate": "metric_logo_churn_rate",
    "gross_revenue_churn_rate": "metric_gross_revenue_churn_rate",
    "net_revenue_churn_rate": "metric_net_revenue_churn_rate",
    "average_health_score": "health_score",
}

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="module")
def warehouse(sample_copy: Path) -> Path:
    return sample_copy


@dataclass(frozen=True)
class Docs:
    """The two artefacts of `dbt docs generate`: what the YAML says and what was built."""

    manifest: dict
    catalog: dict

    def nodes(self, *resource_types: str) -> Iterator[dict]:
        for node in self.manifest["nodes"].values():
            if node["package_name"] == PROJECT and node["resource_type"] in resource_types:
                yield node

    def docs_blocks(self) -> dict[str, str]:
        return {
            block["name"]: block["block_contents"].strip()
            for block in self.manifest["docs"].values()
            if block["package_name"] == PROJECT
        }

    def descriptions(self) -> Iterator[str]:
        """Every rendered description in the project, of any resource and its parts."""
        resources = [
            *self.manifest["nodes"].values(),
            *self.manifest["sources"].values(),
            *self.manifest["metrics"].values(),
            *self.manifest["semantic_models"].values(),
            *self.manifest["exposures"].values(),
        ]
        for resource in resources:
            if resource["package_name"] != PROJECT:
                continue
            yield resource.get("description") or ""
            for part in [
                *resource.get("columns", {}).values(),
                *resource.get("measures", []),
                *resource.get("dimensions", []),
            ]:
                yield part.get("description") or ""


@pytest.fixture(scope="module")
def docs(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Docs:
    folder = tmp_path_factory.mktemp("catalogue-docs")
    target = folder / "target"
    env = os.environ | {
        "CSWH_TARGET": "dev",
        "CSWH_WAREHOUSE_PATH": str(warehouse),
        "CSWH_DUCKDB_TEMP_DIR": str(folder / "duckdb_tmp"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt")
    if dbt is None:
        pytest.skip("dbt is not installed in this environment")
    result = subprocess.run(
        [
            dbt,
            "docs",
            "generate",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT),
            # Keep dbt's artefacts out of the repository.
            "--target-path",
            str(target),
            "--log-path",
            str(folder / "logs"),
            "--no-partial-parse",
            "--no-use-colors",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return Docs(
        manifest=json.loads((target / "manifest.json").read_text()),
        catalog=json.loads((target / "catalog.json").read_text()),
    )


def _problem_with(description: str | None) -> str | None:
    """Why a description does not describe, or None when it does."""
    text = (description or "").strip()
    if not text:
        return "no description"
    if PLACEHOLDER.search(text):
        return f"placeholder description {text!r}"
    return None


def test_every_model_and_seed_is_described(docs: Docs) -> None:
    problems = {
        node["unique_id"]: problem
        for node in docs.nodes("model", "seed")
        if (problem := _problem_with(node["description"]))
    }
    assert not problems, problems
    # The grain of every model is stated ("one row per ...").
    no_grain = [
        node["unique_id"]
        for node in docs.nodes("model")
        if "one row per" not in node["description"].lower()
    ]
    assert not no_grain, f"models whose description does not state the grain: {no_grain}"


def test_every_model_and_seed_is_in_the_catalog(docs: Docs) -> None:
    built = set(docs.catalog["nodes"])
    expected = {node["unique_id"] for node in docs.nodes("model", "seed")}
    assert len(expected) > 50
    assert expected <= built, f"not built, so not in the catalogue: {sorted(expected - built)}"


def test_every_built_column_is_documented(docs: Docs) -> None:
    undocumented: dict[str, list[str]] = {}
    not_built: dict[str, list[str]] = {}
    for node in docs.nodes("model", "seed"):
        built = {name.lower() for name in docs.catalog["nodes"][node["unique_id"]]["columns"]}
        described = {
            name.lower(): column["description"] for name, column in node["columns"].items()
        }
        missing = sorted(
            f"{name} ({problem})"
            for name in built
            if (problem := _problem_with(described.get(name)))
        )
        if missing:
            undocumented[node["unique_id"]] = missing
        if stale := sorted(set(described) - built):
            not_built[node["unique_id"]] = stale
    assert not undocumented, f"built columns without a description: {undocumented}"
    assert not not_built, f"documented columns the warehouse does not have: {not_built}"


def test_every_source_is_described(docs: Docs) -> None:
    problems = {}
    for source in docs.manifest["sources"].values():
        if source["package_name"] != PROJECT:
            continue
        if problem := _problem_with(source["description"]):
            problems[source["unique_id"]] = problem
        for name, column in source["columns"].items():
            if problem := _problem_with(column["description"]):
                problems[f"{source['unique_id']}.{name}"] = problem
    assert not problems, problems


def test_every_docs_block_is_used(docs: Docs) -> None:
    blocks = docs.docs_blocks()
    assert {"metric_mrr", "metric_nrr", "metric_grr", "metric_logo_churn_rate"} <= set(blocks)
    descriptions = list(docs.descriptions())
    unused = [
        name
        for name, text in blocks.items()
        if not any(text in description for description in descriptions)
    ]
    assert not unused, f"docs blocks no description uses: {unused}"


def test_metric_formulas_come_from_docs_blocks(docs: Docs) -> None:
    blocks = docs.docs_blocks()
    metrics = {
        metric["name"]: metric
        for metric in docs.manifest["metrics"].values()
        if metric["package_name"] == PROJECT
    }
    assert set(METRIC_FORMULA_BLOCKS) <= set(metrics)
    for metric_name, block_name in METRIC_FORMULA_BLOCKS.items():
        assert blocks[block_name] in metrics[metric_name]["description"], (
            f"metric {metric_name} does not state the formula of docs block {block_name}"
        )
    # The finance mart states the same formulas on its columns.
    retention = docs.manifest["nodes"][f"model.{PROJECT}.rpt_churn_retention_monthly"]
    for column, block_name in {
        "net_revenue_retention_12m": "metric_nrr",
        "gross_revenue_retention_12m": "metric_grr",
        "logo_churn_rate": "metric_logo_churn_rate",
    }.items():
        assert blocks[block_name] in retention["columns"][column]["description"], column


def test_every_semantic_layer_object_is_described(docs: Docs) -> None:
    problems = {}
    for metric in docs.manifest["metrics"].values():
        if metric["package_name"] == PROJECT and (problem := _problem_with(metric["description"])):
            problems[metric["unique_id"]] = problem
    for model in docs.manifest["semantic_models"].values():
        if model["package_name"] != PROJECT:
            continue
        if problem := _problem_with(model["description"]):
            problems[model["unique_id"]] = problem
        for part in [*model["measures"], *model["dimensions"]]:
            if problem := _problem_with(part.get("description")):
                problems[f"{model['unique_id']}.{part['name']}"] = problem
    assert len(docs.manifest["semantic_models"]) >= 5
    assert not problems, problems
