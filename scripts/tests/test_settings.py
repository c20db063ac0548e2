"""cswh.settings is the one place a variable is read, and docs/settings.md lists every one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from cswh import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "scripts" / "cswh"
# Where dbt reads variables with env_var('NAME', 'default').
DBT_FILES = [REPO_ROOT / "profiles.yml", REPO_ROOT / "dbt_project.yml"]
DBT_FOLDERS = ["models", "macros", "tests", "analyses", "seeds", "snapshots"]
ENV_VAR_CALL = re.compile(r"env_var\(\s*['\"]([A-Z0-9_]+)['\"]\s*(?:,\s*['\"]([^'\"]*)['\"])?")


def environment_reads(source: str) -> list[int]:
    """Lines that read the environment: os.environ.get/[...]/in, os.getenv, environ.get.

    Writing is allowed anywhere: ``os.environ | {...}`` (a child's environment),
    ``os.environ[name] = ...`` and ``os.environ.setdefault(...)``.
    """
    tree = ast.parse(source)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "getenv":
            lines.append(node.lineno)
        if not (isinstance(node, ast.Attribute) and node.attr == "environ"):
            continue
        parent = parents.get(node)
        writes = (
            (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.BitOr))
            or (isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store))
            or (isinstance(parent, ast.Attribute) and parent.attr in ("setdefault", "update"))
        )
        if not writes:
            lines.append(node.lineno)
    return sorted(lines)


def test_the_checker_finds_reads_and_lets_writes_pass():
    planted = (
        "import os\n"
        "a = os.environ.get('X')\n"
        "b = os.environ['Y']\n"
        "c = 'Z' in os.environ\n"
        "d = os.getenv('W')\n"
        "env = os.environ | {'X': '1'}\n"
        "os.environ['X'] = '1'\n"
        "os.environ.setdefault('X', '1')\n"
    )
    assert environment_reads(planted) == [2, 3, 4, 5]


def test_no_module_but_settings_reads_the_environment():
    readers = {
        f"{path.relative_to(REPO_ROOT)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path != PACKAGE / "settings.py"
        for line in environment_reads(path.read_text(encoding="utf-8"))
    }
    assert not readers, f"read the variable through cswh.settings instead: {sorted(readers)}"


def test_every_variable_the_package_names_is_declared():
    named = {
        name
        for path in PACKAGE.rglob("*.py")
        for name in re.findall(r"[\"'](CSWH_[A-Z0-9_]+)[\"']", path.read_text(encoding="utf-8"))
    }
    assert named - set(settings.SETTINGS) == set()


def _dbt_sources() -> list[Path]:
    files = [path for path in DBT_FILES if path.exists()]
    for folder in DBT_FOLDERS:
        files += [p for p in (REPO_ROOT / folder).rglob("*") if p.suffix in (".sql", ".yml")]
    return files


def test_every_variable_dbt_reads_is_declared_with_the_same_default():
    found: dict[str, set[str | None]] = {}
    for path in _dbt_sources():
        for name, default in ENV_VAR_CALL.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(default or None)
    assert "CSWH_WAREHOUSE_PATH" in found, "the env_var() pattern no longer matches profiles.yml"
    for name, defaults in found.items():
        assert name in settings.SETTINGS, f"dbt reads {name}: declare it in cswh.settings"
        declared = settings.SETTINGS[name]
        assert settings.DBT in declared.read_by, f"{name}: say that dbt reads it"
        literal = {default for default in defaults if default is not None}
        # A computed default (CSWH_DUCKDB_TEMP_DIR's) is described in words instead.
        if literal and declared.default:
            assert literal == {declared.default}, f"{name}: dbt {literal}, settings.py declares"


def test_docs_settings_md_is_rendered_from_the_module():
    doc = REPO_ROOT / "docs" / "settings.md"
    assert doc.read_text(encoding="utf-8") == settings.render_markdown(), (
        "docs/settings.md is out of date: cswh settings --markdown > docs/settings.md"
    )
    for name in settings.SETTINGS:
        assert f"| `{name}` |" in doc.read_text(encoding="utf-8")


def test_unset_or_blank_means_the_default(monkeypatch):
    monkeypatch.delenv("CSWH_LANDING_DIR", raising=False)
    assert settings.landing_dir() == Path("landing")
    monkeypatch.setenv("CSWH_LANDING_DIR", "  ")
    assert settings.landing_dir() == Path("landing")
    monkeypatch.setenv("CSWH_LANDING_DIR", "/data/in")
    assert settings.landing_dir() == Path("/data/in")
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    assert settings.dbt_target_path() == REPO_ROOT / "target"


@pytest.mark.parametrize(
    ("name", "value", "read", "message"),
    [
        ("CSWH_LOCK_WAIT_SECONDS", "soon", settings.lock_wait_seconds, "is not a number"),
        ("CSWH_LOCK_WAIT_SECONDS", "-1", settings.lock_wait_seconds, "must not be negative"),
        ("CSWH_EXPORT_PARTITION_ROWS", "1e6", settings.export_partition_rows, "whole number"),
        ("CSWH_PG_PORT", "five", settings.postgres_connection, "not a port number"),
    ],
)
def test_a_bad_value_names_the_variable(monkeypatch, name, value, read, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message) as raised:
        read()
    assert name in str(raised.value)


def test_typed_values(monkeypatch):
    monkeypatch.setenv("CSWH_LOADER_FUTURE_TOLERANCE_DAYS", "0.5")
    assert settings.loader_future_tolerance_days() == 0.5
    monkeypatch.setenv("CSWH_PG_PORT", "6543")
    assert settings.postgres_connection()["port"] == 6543


def test_an_undeclared_variable_cannot_be_read():
    with pytest.raises(KeyError, match="not declared"):
        settings.text("CSWH_NO_SUCH_SETTING")


def test_the_password_is_never_listed(monkeypatch):
    monkeypatch.setenv("CSWH_PG_PASSWORD", "hunter2")
    assert "hunter2" not in str(settings.current_values())
