"""CLI manners: --help everywhere, exit codes that mean something, progress, the end summary."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace

import click
import duckdb
import pytest

from cswh import cli, dbt_runner, export, publish, summary
from cswh.dbt_runner import DbtEvents
from cswh.load import ensure_loader_tables
from cswh.progress import Progress

REPO_ROOT = Path(__file__).resolve().parents[2]


def cswh(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cswh.cli", *arguments],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env=os.environ | (env or {}),
    )


def commands(group: click.Group = cli.cswh, path: tuple[str, ...] = ()) -> dict:
    """Every command of the tree by its path, e.g. ("target", "spark", "build")."""
    found: dict[tuple[str, ...], click.Command] = {}
    for name, command in group.commands.items():
        found[(*path, name)] = command
        if isinstance(command, click.Group):
            found |= commands(command, (*path, name))
    return found


@pytest.mark.parametrize("path", sorted(commands()), ids=" ".join)
def test_every_command_has_help_with_its_options_and_defaults(path, capsys):
    assert cli.main([*path, "--help"]) == 0
    text = capsys.readouterr().out
    command = commands()[path]
    defaults = command.make_context("cswh", [], resilient_parsing=True).params
    assert command.help and command.help.split()[0] in text
    for parameter in command.params:
        if not isinstance(parameter, click.Option):
            continue
        for option in parameter.opts:
            assert option in text, f"cswh {' '.join(path)} --help does not mention {option}"
        # What the option is when not given: None, False or () mean "nothing" and need no note.
        if defaults.get(parameter.name) not in (None, False, ()):
            shown = parameter.show_default or "default" in (parameter.help or "")
            assert shown, f"{' '.join(path)} {parameter.name}: default not shown"
    if not isinstance(command, click.Group) and path[0] != "target":
        assert "exit codes:" in text


def test_top_level_help_documents_every_exit_code_and_every_command():
    completed = cswh("--help")
    assert completed.returncode == 0
    for code in cli.EXIT_CODES:
        assert re.search(rf"\n +{code} ", completed.stdout), code
    for name, *_rest in commands():
        assert f"\n  {name} " in completed.stdout


def test_version_comes_from_the_package_metadata():
    completed = cswh("--version")
    assert completed.returncode == 0
    assert completed.stdout.strip() == f"cswh, version {version('cs-warehouse')}"


def test_the_tree_has_bench_summary_settings_and_both_targets():
    paths = {" ".join(path) for path in commands()}
    expected = {"bench", "summary", "settings", "target postgres build", "target spark build"}
    assert expected <= paths
    assert {"target postgres server", "target postgres compare", "target spark replicate"} <= paths


def test_target_build_passes_unknown_options_to_dbt(monkeypatch):
    from cswh.targets import postgres, spark

    seen = {}
    monkeypatch.setattr(
        postgres, "build_command", lambda warehouse, arguments: seen.update(pg=arguments) or 3
    )
    monkeypatch.setattr(
        spark,
        "build_command",
        lambda warehouse, arguments, compare, relations, summary: (
            seen.update(spark=(arguments, compare, relations)) or 0
        ),
    )
    assert cli.main(["target", "postgres", "build", "--select", "staging"]) == 3
    assert seen["pg"] == ("--select", "staging")
    code = cli.main(["target", "spark", "build", "--compare-relations", "a,b", "--select", "stg_x"])
    assert code == 0
    assert seen["spark"] == (("--select", "stg_x"), False, ["a", "b"])


def test_bench_takes_its_scales_as_one_list(monkeypatch):
    from cswh import bench

    seen = {}
    monkeypatch.setattr(bench, "run", lambda **options: seen.update(options) or 0)
    assert cli.main(["bench", "--scales", "1 10,50", "--render-only"]) == 0
    assert seen["scales"] == [1.0, 10.0, 50.0] and seen["render_only"]
    assert cli.main(["bench", "--scales", "ten"]) == cli.EXIT_USAGE


def test_build_leaves_unit_tests_to_ci_unless_asked():
    assert "--exclude-resource-type" in cli.build_arguments(None)
    arguments = cli.build_arguments("staging", full_refresh=True, unit_tests=True)
    assert arguments == ["build", "--select", "staging", "--full-refresh"]


@pytest.mark.parametrize(
    "arguments",
    [("load", "--no-such-option"), ("generate", "--scale", "lots"), ("frobnicate",), ()],
)
def test_wrong_usage_exits_2(arguments):
    completed = cswh(*arguments)
    assert completed.returncode == cli.EXIT_USAGE
    assert "Usage: cswh" in completed.stderr


def test_a_bad_setting_exits_2_with_a_message(tmp_path):
    completed = cswh(
        "export",
        "--warehouse",
        str(tmp_path / "w.duckdb"),
        env={export.PARTITION_ROWS_ENV: "lots"},
    )
    assert completed.returncode == cli.EXIT_USAGE
    assert export.PARTITION_ROWS_ENV in completed.stderr


def test_a_refused_file_exits_1_and_names_the_file(tmp_path):
    tickets = tmp_path / "landing" / "support_desk" / "tickets"
    tickets.mkdir(parents=True)
    empty = tickets / "tickets__2026-10-31.csv"
    empty.write_text("")
    completed = cswh(
        "load", "--landing", str(tmp_path / "landing"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert completed.returncode == cli.EXIT_INPUT_REFUSED
    assert str(empty) in completed.stderr and "refused" in completed.stderr


def test_a_missing_landing_folder_exits_1(tmp_path):
    completed = cswh(
        "load", "--landing", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb")
    )
    assert completed.returncode == cli.EXIT_INPUT_REFUSED
    assert "does not exist" in completed.stderr


def test_progress_lines_appear_when_output_is_not_a_terminal(tmp_path):
    landing = tmp_path / "landing"
    generated = cswh("generate", "--scale", "0.01", "--landing", str(landing))
    assert generated.returncode == 0, generated.stderr
    assert "  write      [" in generated.stderr
    loaded = cswh("load", "--landing", str(landing), "--warehouse", str(tmp_path / "w.duckdb"))
    assert loaded.returncode == 0, loaded.stderr
    files = sum(1 for _ in landing.rglob("*.csv"))
    lines = [line for line in loaded.stderr.splitlines() if line.startswith("  load ")]
    # One plain line every 25 files and one at the end; no carriage returns in a log.
    assert [line.split()[-1] for line in lines] == [
        *(f"{n}/{files}" for n in range(25, files, 25)),
        f"{files}/{files}",
    ]
    assert "\r" not in loaded.stderr


def test_a_terminal_gets_one_bar_redrawn_in_place():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    progress = Progress(stream=terminal)
    for done in range(1, 101):
        progress("load", done, 100)
    output = terminal.getvalue()
    assert output.startswith("\r  load ") and output.endswith("100/100\n")
    assert output.count("\n") == 1, "a bar must not scroll the terminal"


def dbt_event(name: str, level: str = "info", msg: str = "", **data: object) -> SimpleNamespace:
    """An EventMsg as dbtRunner hands it to a callback: info.name/level/msg, and data."""
    return SimpleNamespace(
        info=SimpleNamespace(name=name, level=level, msg=msg), data=SimpleNamespace(**data)
    )


# What dbt fires for a build of two models, a failing test and a skipped model.
DBT_EVENTS = [
    dbt_event("FoundStats", msg="Found 3 models, 1 data test"),
    dbt_event("LogStartLine", msg="1 of 4 START sql table model marts.a", index=1, total=4),
    dbt_event("LogModelResult", msg="1 of 4 OK created marts.a", index=1, total=4, status="ok"),
    dbt_event("NodeFinished"),
    dbt_event("LogStartLine", msg="2 of 4 START sql table model marts.b", index=2, total=4),
    dbt_event("LogModelResult", msg="2 of 4 OK created marts.b", index=2, total=4, status="ok"),
    dbt_event("NodeFinished"),
    dbt_event("LogStartLine", msg="3 of 4 START test unique_a_id", index=3, total=4),
    dbt_event(
        "LogTestResult", "error", "3 of 4 FAIL 1 unique_a_id", index=3, num_models=4, status="fail"
    ),
    dbt_event("NodeFinished"),
    dbt_event("SkippingDetails", msg="4 of 4 SKIP relation marts.c", index=4, total=4),
    dbt_event("NodeFinished"),
    dbt_event("Formatting", "debug", "a debug line"),
    dbt_event("FinishedRunningStats", msg="Finished running 3 table models, 1 data test"),
    dbt_event("EndOfRunSummary", "error", "Completed with 1 error"),
    dbt_event("StatsLine", msg="Done. PASS=2 WARN=0 ERROR=1 SKIP=1 NO-OP=0 TOTAL=4"),
]


@pytest.mark.parametrize("interactive", [False, True])
def test_dbt_progress_counts_finished_nodes_and_keeps_failures_visible(interactive, capsys):
    updates: list[tuple[str, int, int]] = []

    class Recorder(Progress):
        def __call__(self, step: str, done: int, total: int) -> None:
            updates.append((step, done, total))

    recorder = Recorder(stream=io.StringIO(), interactive=interactive)
    events = DbtEvents("build", recorder, echo=interactive)
    for event in DBT_EVENTS:
        events(event)
    assert updates == [("build", n, 4) for n in range(1, 5)]
    echoed = capsys.readouterr().out
    if interactive:
        # dbt's console log is off: the failure and the closing summary are echoed, no more.
        assert "3 of 4 FAIL 1 unique_a_id" in echoed and "Done. PASS=2" in echoed
        assert "START" not in echoed and "OK created" not in echoed and "debug" not in echoed
    else:
        assert echoed == "", "dbt prints its own lines where the output is not a terminal"


def test_dbt_logs_are_plain_text_where_output_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    flags = dbt_runner.output_arguments(interactive=False, verbose=False)
    assert "--no-use-colors" in flags and "--no-use-colors-file" in flags
    assert "--log-level" not in flags
    assert dbt_runner.output_arguments(interactive=True, verbose=False)[-2:] == [
        "--log-level",
        "none",
    ]


def test_interrupt_exits_130(tmp_path, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(export, "export_marts", interrupted)
    code = cli.main(["export", "--warehouse", str(tmp_path / "w.duckdb")])
    assert code == cli.EXIT_INTERRUPTED == 130
    assert "interrupted" in capsys.readouterr().err


def make_marts_warehouse(path: Path) -> None:
    connection = duckdb.connect(str(path))
    try:
        ensure_loader_tables(connection)
        connection.execute(
            "create schema marts; create table marts.dim_accounts as select 'a1' as account_id;"
            "insert into loader.load_audit (load_id, source_file, source_system, entity, "
            "content_sha256, rows_read, rows_loaded, rows_quarantined, status, started_at, "
            "finished_at) values "
            "('l1', 'crm/accounts/a.csv', 'crm', 'accounts', 'h1', 120, 117, 3, 'loaded', "
            "now(), now()), ('l1', 'crm/x.xlsx', null, null, 'h2', 0, 0, 0, 'refused', now(), "
            "now());"
            "insert into loader.quarantined_rows (load_id, source_file, source_system, entity, "
            "reason, quarantined_at) values "
            "('l1', 'f', 'support_desk', 'tickets', 'r', now()),"
            "('l1', 'f', 'support_desk', 'tickets', 'r', now()),"
            "('l1', 'f', 'billing', 'plans', 'r', now());"
        )
    finally:
        connection.close()


def test_a_failed_export_after_a_publish_exits_5_and_says_it_was_published(
    tmp_path, monkeypatch, capsys
):
    warehouse = tmp_path / "w.duckdb"
    make_marts_warehouse(warehouse)
    blocked = tmp_path / "parquet"
    blocked.mkdir()
    (blocked / "not-ours.txt").write_text("a folder the export must not replace")
    monkeypatch.setattr(
        publish,
        "run_pipeline",
        lambda *args, **kwargs: publish.RunResult(published=True, message=f"published {warehouse}"),
    )
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    code = cli.main(["run", "--landing", str(tmp_path), "--warehouse", str(warehouse)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_EXPORT_FAILED == 5
    assert f"published {warehouse}" in captured.out
    assert "Parquet export failed" in captured.err and "not affected" in captured.err
    assert (blocked / "not-ours.txt").exists()


def test_export_command_writes_parquet_and_prints_where(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    make_marts_warehouse(warehouse)
    code = cli.main(["export", "--warehouse", str(warehouse)])
    assert code == cli.EXIT_OK
    assert (tmp_path / "parquet" / "dim_accounts" / "data.parquet").exists()
    out = capsys.readouterr().out
    assert "exported 1 marts" in out
    # The BI file beside it holds the marts and not the loader's schema.
    assert "BI file: 1 marts, 1 rows" in out and "w_bi.duckdb" in out
    connection = duckdb.connect(str(tmp_path / "w_bi.duckdb"), read_only=True)
    try:
        schemas = connection.execute(
            "select distinct table_schema from information_schema.tables"
        ).fetchall()
    finally:
        connection.close()
    assert schemas == [("marts",)]


def test_the_summary_counts_dbt_results_and_names_every_place_to_look(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    make_marts_warehouse(warehouse)
    target = tmp_path / "target"
    target.mkdir()
    statuses = [
        ("model.p.a", "success"),
        ("model.p.b", "success"),
        ("seed.p.s", "success"),
        ("model.p.c", "error"),
        ("test.p.t1", "pass"),
        ("test.p.t2", "warn"),
        ("test.p.t3", "fail"),
        ("unit_test.p.u1", "pass"),
        ("test.p.t4", "skipped"),
        ("exposure.p.e", "no-op"),
    ]
    results = [{"unique_id": uid, "status": status} for uid, status in statuses]
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "index.html").write_text("<html></html>")
    export.export_marts(warehouse, tmp_path / "parquet")
    text = summary.render(warehouse, tmp_path, target_path=target)
    assert "3 models/seeds built, 1 errored; tests 2 passed, 1 warned, 1 failed; 1 skipped" in text
    assert "read 120, loaded 117, quarantined 3" in text
    assert str(warehouse.resolve()) in text
    assert f"{tmp_path / 'parquet'} (1 marts, 1 rows" in text
    assert str((target / "index.html").resolve()) in text
    assert "http://localhost:8501" in text and "data_docs/index.html" in text


def test_the_summary_counts_the_published_build_not_the_last_dbt_command(tmp_path):
    # `make demo` runs `dbt docs generate` after `cswh run`; it rewrites target/run_results.json.
    warehouse = tmp_path / "w.duckdb"
    make_marts_warehouse(warehouse)
    target = tmp_path / "target"
    target.mkdir()
    (target / "run_results.json").write_text(json.dumps({"results": []}))
    kept = publish.published_build_results(warehouse)
    kept.parent.mkdir(parents=True)
    results = [
        {"unique_id": "model.p.a", "status": "success"},
        {"unique_id": "test.p.t1", "status": "pass"},
    ]
    kept.write_text(json.dumps({"results": results}))
    text = summary.render(warehouse, tmp_path, target_path=target)
    assert "1 models/seeds built, 0 errored; tests 1 passed, 0 warned, 0 failed" in text


def test_no_op_and_warn_are_not_reported_as_failed_checks(tmp_path):
    run_results = tmp_path / "run_results.json"
    results = [
        {"unique_id": "exposure.p.dashboard", "status": "no-op"},
        {"unique_id": "test.p.soft", "status": "warn"},
        {"unique_id": "test.p.hard", "status": "fail"},
    ]
    run_results.write_text(json.dumps({"results": results}))
    assert publish.failed_dbt_checks(run_results) == ["test.p.hard: fail"]
