"""The dbt project follows its layer rules, read from the manifest that ``dbt parse`` writes.

The rules (docs: the house style, "The flow is the folder tree"):

- staging models read exactly one source and no model; only staging calls ``source()``, and each
  source table is read by one staging model;
- intermediate models read staging, intermediate models and seeds, never a mart;
- marts read intermediate models, marts, staging models and seeds, never a source;
- names: ``stg_<source>__<entities>`` in ``models/staging/<source>/``,
  ``int_<entities>_<verb>ed`` (optionally ``_daily``, ``_weekly`` or ``_monthly``) in
  ``models/intermediate/``, ``fct_``/``dim_``/``rpt_`` in ``models/marts/``;
- at most six parents (refs and sources) per model;
- every staging and intermediate model has a child model (marts may be leaves: BI reads them).

Each rule is a plain function from a parsed manifest to a list of violations, so that the tests
below can plant one violation in a copy of the real manifest and check it is reported, alone.
``dbt parse`` needs no database: it runs once per session.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = "cs_warehouse"
MAX_PARENTS = 6

STAGING_NAME = re.compile(r"^stg_(?P<source>[a-z0-9]+(?:_[a-z0-9]+)*)__[a-z0-9]+(?:_[a-z0-9]+)*$")
INTERMEDIATE_NAME = re.compile(
    r"^int_[a-z0-9]+(?:_[a-z0-9]+)*_[a-z]+ed(?:_(?:daily|weekly|monthly))?$"
)
MART_NAME = re.compile(r"^(?:fct|dim|rpt)_[a-z0-9]+(?:_[a-z0-9]+)*$")
# MetricFlow's time spine is named by its grain (MetricFlow's convention, not ours).
SEMANTIC_NAME = re.compile(r"^time_spine_[a-z]+$")

# The layer a model's folder puts it in, and the layers each layer may read.
LAYER_FOLDERS = {
    "staging": "models/staging/",
    "intermediate": "models/intermediate/",
    "mart": "models/marts/",
    "semantic": "models/semantic/",
}
ALLOWED_PARENT_LAYERS = {
    "staging": {"source"},
    "intermediate": {"staging", "intermediate", "seed"},
    "mart": {"staging", "intermediate", "mart", "seed"},
    "semantic": {"staging", "intermediate", "mart", "seed"},
}


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    model: str
    detail: str

    def __str__(self) -> str:
        return f"{self.model}: {self.rule}: {self.detail}"


# --- reading the manifest ------------------------------------------------------------------------


def _models(manifest: dict) -> dict[str, dict]:
    """The project's models by unique id."""
    return {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == PROJECT
    }


def model_layer(node: dict) -> str | None:
    """The layer of a model, from its folder (None outside the known folders)."""
    path = node["original_file_path"].replace("\\", "/")
    for layer, folder in LAYER_FOLDERS.items():
        if path.startswith(folder):
            return layer
    return None


def _node_layer(manifest: dict, unique_id: str) -> str:
    """The layer of any parent: a model's folder layer, 'source', 'seed' or its resource type."""
    if unique_id in manifest["sources"]:
        return "source"
    node = manifest["nodes"].get(unique_id)
    if node is None:
        return "unknown"
    if node["resource_type"] == "model":
        return model_layer(node) or "unknown"
    return node["resource_type"]


def _name(manifest: dict, unique_id: str) -> str:
    if unique_id in manifest["sources"]:
        source = manifest["sources"][unique_id]
        return f"source {source['source_name']}.{source['name']}"
    return manifest["nodes"].get(unique_id, {}).get("name", unique_id)


def _parents(node: dict) -> list[str]:
    return sorted(set(node["depends_on"]["nodes"]))


def _children(manifest: dict) -> dict[str, set[str]]:
    """Child models of every node, from the models' own dependencies (not the manifest's
    child_map, so that a test editing one model's dependencies edits the graph)."""
    children: dict[str, set[str]] = {}
    for unique_id, node in _models(manifest).items():
        for parent in _parents(node):
            children.setdefault(parent, set()).add(unique_id)
    return children


# --- rules ---------------------------------------------------------------------------------------


def check_layer_dependencies(manifest: dict) -> list[Violation]:
    """Each model reads only the layers its own layer may read."""
    violations = []
    for node in _models(manifest).values():
        layer = model_layer(node)
        if layer is None:
            continue  # reported by check_naming
        for parent in _parents(node):
            parent_layer = _node_layer(manifest, parent)
            if parent_layer not in ALLOWED_PARENT_LAYERS[layer]:
                violations.append(
                    Violation(
                        "layer",
                        node["name"],
                        f"{layer} model reads {parent_layer} {_name(manifest, parent)}",
                    )
                )
    return violations


def check_staging_sources(manifest: dict) -> list[Violation]:
    """A staging model reads exactly one source table, and no other model reads that table."""
    violations = []
    readers: dict[str, list[str]] = {}
    for node in _models(manifest).values():
        sources = [parent for parent in _parents(node) if parent in manifest["sources"]]
        for source in sources:
            readers.setdefault(source, []).append(node["name"])
        if model_layer(node) == "staging" and len(sources) != 1:
            violations.append(
                Violation("one source", node["name"], f"reads {len(sources)} sources, not 1")
            )
    for source, models in readers.items():
        if len(models) > 1:
            for model in sorted(models):
                violations.append(
                    Violation(
                        "one source",
                        model,
                        f"{_name(manifest, source)} is read by {len(models)} models",
                    )
                )
    return violations


def check_naming(manifest: dict) -> list[Violation]:
    """Names follow the convention of their layer, and each model lives in its layer's folder."""
    violations = []
    for node in _models(manifest).values():
        name, layer = node["name"], model_layer(node)
        path = node["original_file_path"].replace("\\", "/")
        if layer == "staging":
            match = STAGING_NAME.match(name)
            folder = path.split("/")[2] if path.count("/") >= 3 else ""
            if match is None:
                violations.append(
                    Violation("naming", name, "staging models are stg_<source>__<entities>")
                )
            elif match["source"] != folder:
                violations.append(
                    Violation(
                        "naming",
                        name,
                        f"in models/staging/{folder}/, its name says source {match['source']}",
                    )
                )
            for parent in _parents(node):
                source = manifest["sources"].get(parent)
                if (
                    source is not None
                    and match is not None
                    and source["source_name"] != match["source"]
                ):
                    violations.append(
                        Violation(
                            "naming",
                            name,
                            f"reads source {source['source_name']}, "
                            f"its name says {match['source']}",
                        )
                    )
        elif layer == "intermediate":
            if INTERMEDIATE_NAME.match(name) is None:
                violations.append(
                    Violation(
                        "naming",
                        name,
                        "intermediate models are int_<entities>_<verb>ed[_daily|_weekly|_monthly]",
                    )
                )
        elif layer == "mart":
            if MART_NAME.match(name) is None:
                violations.append(
                    Violation("naming", name, "marts are fct_<grain>, dim_<entity> or rpt_<report>")
                )
        elif layer == "semantic":
            if SEMANTIC_NAME.match(name) is None:
                violations.append(
                    Violation("naming", name, "models/semantic holds only time_spine_<grain>")
                )
        else:
            violations.append(
                Violation("naming", name, f"{path} is outside staging, intermediate and marts")
            )
    return violations


def check_parent_count(manifest: dict) -> list[Violation]:
    """No model reads more than MAX_PARENTS refs and sources (seeds included)."""
    return [
        Violation(
            "parents",
            node["name"],
            f"{len(_parents(node))} parents (at most {MAX_PARENTS}): split it",
        )
        for node in _models(manifest).values()
        if len(_parents(node)) > MAX_PARENTS
    ]


def check_unused_models(manifest: dict) -> list[Violation]:
    """Every staging and intermediate model feeds at least one model."""
    children = _children(manifest)
    return [
        Violation("unused", node["name"], f"{model_layer(node)} model without a child model")
        for unique_id, node in _models(manifest).items()
        if model_layer(node) in {"staging", "intermediate"} and not children.get(unique_id)
    ]


RULES: tuple[Callable[[dict], list[Violation]], ...] = (
    check_layer_dependencies,
    check_staging_sources,
    check_naming,
    check_parent_count,
    check_unused_models,
)


def check_manifest(manifest: dict) -> list[Violation]:
    """Every violation of every rule, sorted."""
    return sorted(violation for rule in RULES for violation in rule(manifest))


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The manifest of the project as committed, from one `dbt parse` (no database needed)."""
    dbt = shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt")
    if dbt is None:
        pytest.skip("dbt is not installed in this environment")
    work = tmp_path_factory.mktemp("dbt_parse")
    env = {
        **os.environ,
        "CSWH_TARGET": "dev",
        "CSWH_WAREHOUSE_PATH": ":memory:",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    completed = subprocess.run(
        [
            dbt,
            "parse",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--no-use-colors",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    return json.loads((work / "target" / "manifest.json").read_text())


@pytest.fixture
def planted(manifest: dict) -> Iterator[dict]:
    """A copy of the manifest a test may edit."""
    yield copy.deepcopy(manifest)


def _model_id(manifest: dict, name: str) -> str:
    (unique_id,) = [uid for uid, node in _models(manifest).items() if node["name"] == name]
    return unique_id


def _first_model(manifest: dict, layer: str, max_parents: int = MAX_PARENTS) -> str:
    """A model of the layer with no violation of its own and room for one more parent."""
    clean = {violation.model for violation in check_manifest(manifest)}
    candidates = sorted(
        unique_id
        for unique_id, node in _models(manifest).items()
        if model_layer(node) == layer
        and node["name"] not in clean
        and len(_parents(node)) < max_parents
    )
    assert candidates, f"no {layer} model without violations to plant one in"
    return candidates[0]


def _new_violations(manifest: dict, planted: dict) -> set[Violation]:
    before, after = set(check_manifest(manifest)), set(check_manifest(planted))
    assert before <= after, f"planting hid violations: {sorted(before - after)}"
    return after - before


# --- the project ----------------------------------------------------------------------------------


def test_project_follows_layer_rules(manifest: dict) -> None:
    violations = check_manifest(manifest)
    assert violations == [], "layer rules broken:\n" + "\n".join(map(str, violations))


def test_manifest_has_every_layer(manifest: dict) -> None:
    """Guards the rules against passing on an empty or misread manifest."""
    layers = {model_layer(node) for node in _models(manifest).values()}
    assert {"staging", "intermediate", "mart"} <= layers
    assert manifest["sources"], "no sources in the manifest"


# --- planted violations ---------------------------------------------------------------------------


def test_intermediate_reading_a_mart_is_reported(manifest: dict, planted: dict) -> None:
    intermediate = _first_model(planted, "intermediate")
    mart = _model_id(planted, "fct_account_health_weekly")
    planted["nodes"][intermediate]["depends_on"]["nodes"].append(mart)
    name = planted["nodes"][intermediate]["name"]
    assert _new_violations(manifest, planted) == {
        Violation("layer", name, "intermediate model reads mart fct_account_health_weekly")
    }


def test_badly_named_intermediate_is_reported(manifest: dict, planted: dict) -> None:
    intermediate = _first_model(planted, "intermediate")
    planted["nodes"][intermediate]["name"] = "int_account_usage_weekly"
    assert _new_violations(manifest, planted) == {
        Violation(
            "naming",
            "int_account_usage_weekly",
            "intermediate models are int_<entities>_<verb>ed[_daily|_weekly|_monthly]",
        )
    }


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("fct_account_health_weekly", "models/intermediate/customer_success/"),
        ("int_account_health_weekly", "models/marts/customer_success/"),
    ],
)
def test_model_outside_its_folder_is_reported(
    manifest: dict, planted: dict, name: str, folder: str
) -> None:
    model = _first_model(planted, "intermediate")
    node = planted["nodes"][model]
    node["name"] = name
    node["original_file_path"] = f"{folder}{name}.sql"
    assert {violation.rule for violation in _new_violations(manifest, planted)} == {"naming"}


def test_seventh_parent_is_reported(manifest: dict, planted: dict) -> None:
    mart = _first_model(planted, "mart")
    node = planted["nodes"][mart]
    seeds = sorted(
        unique_id
        for unique_id, seed in planted["nodes"].items()
        if seed["resource_type"] == "seed" and unique_id not in node["depends_on"]["nodes"]
    )
    while len(_parents(node)) < MAX_PARENTS + 1:
        node["depends_on"]["nodes"].append(seeds.pop())
    assert _new_violations(manifest, planted) == {
        Violation("parents", node["name"], "7 parents (at most 6): split it")
    }


def test_unused_intermediate_is_reported(manifest: dict, planted: dict) -> None:
    template = _first_model(planted, "intermediate")
    orphan = copy.deepcopy(planted["nodes"][template])
    orphan["name"] = "int_accounts_orphaned"
    orphan["unique_id"] = f"model.{PROJECT}.int_accounts_orphaned"
    orphan["original_file_path"] = "models/intermediate/customer_success/int_accounts_orphaned.sql"
    planted["nodes"][orphan["unique_id"]] = orphan
    assert _new_violations(manifest, planted) == {
        Violation("unused", "int_accounts_orphaned", "intermediate model without a child model")
    }


def test_mart_reading_a_source_is_reported(manifest: dict, planted: dict) -> None:
    mart = _first_model(planted, "mart")
    source = sorted(planted["sources"])[0]
    planted["nodes"][mart]["depends_on"]["nodes"].append(source)
    name = planted["nodes"][mart]["name"]
    source_name = _name(planted, source)
    assert _new_violations(manifest, planted) == {
        Violation("layer", name, f"mart model reads source {source_name}"),
        Violation("one source", name, f"{source_name} is read by 2 models"),
        Violation(
            "one source", _staging_reader(planted, source), f"{source_name} is read by 2 models"
        ),
    }


def test_staging_reading_a_model_is_reported(manifest: dict, planted: dict) -> None:
    staging = _first_model(planted, "staging")
    other = sorted(
        unique_id
        for unique_id, node in _models(planted).items()
        if model_layer(node) == "staging" and unique_id != staging
    )[0]
    planted["nodes"][staging]["depends_on"]["nodes"].append(other)
    name = planted["nodes"][staging]["name"]
    assert _new_violations(manifest, planted) == {
        Violation("layer", name, f"staging model reads staging {_name(planted, other)}")
    }


def _staging_reader(manifest: dict, source: str) -> str:
    (name,) = [
        node["name"]
        for node in _models(manifest).values()
        if model_layer(node) == "staging" and source in node["depends_on"]["nodes"]
    ]
    return name
