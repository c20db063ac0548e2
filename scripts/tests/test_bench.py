"""The benchmark's arithmetic and report, on hand-made rows (the timings themselves are measured
by `make bench`, never asserted)."""

from __future__ import annotations

import pytest

from cswh import bench


def test_ratios_divide_full_build_by_floor_and_incremental_by_full() -> None:
    row = {"floor_s": 4.0, "full_build_s": 60.0, "incremental_build_s": 15.0}
    assert bench.ratios(row) == {"full_build_over_floor": 15.0, "incremental_over_full": 0.25}


def test_a_step_that_did_not_run_gives_no_ratio() -> None:
    assert bench.ratios({"floor_s": 4.0, "full_build_s": None}) == {}
    assert bench.ratios({"floor_s": 4.0, "full_build_s": 60.0}) == {"full_build_over_floor": 15.0}


def _csv_row(scale: str, full_build_s: str, started: str) -> dict[str, str]:
    row = dict.fromkeys(bench.COLUMNS, "")
    row |= {
        "run_started_at": started,
        "scale": scale,
        "status": "ok",
        "raw_rows": "1083348",
        "floor_s": "2.0",
        "full_build_s": full_build_s,
        "incremental_build_s": "10.0",
        "full_build_over_floor": f"{float(full_build_s) / 2:.1f}",
        "incremental_over_full": f"{10 / float(full_build_s):.3f}",
        "load_average_at_start": "0.5",
        "load_average_at_end": "1.9",
        "cpus": "2",
    }
    return row


def test_the_report_shows_the_latest_run_of_each_scale_and_every_run() -> None:
    rows = [
        _csv_row("1.0", "40.0", "2026-01-01T00:00:00Z"),
        _csv_row("1.0", "30.0", "2026-01-02T00:00:00Z"),
        _csv_row("10.0", "200.0", "2026-01-02T01:00:00Z"),
    ]
    report = bench.render_markdown(rows)
    latest = report.split("## Latest run per scale", 1)[1].split("Peak resident", 1)[0]
    # The second SF 1 run replaces the first in the summary, with its own ratios.
    assert "| 1 | 1,083,348 |" in latest
    assert "| 30.0 | 10.0 | 15.0 | 0.333 |" in latest
    assert "| 40.0 |" not in latest
    assert "| 200.0 | 10.0 | 100.0 | 0.050 |" in latest
    every_run = report.split("## Every run", 1)[1]
    assert every_run.count("| 2026-01-0") == 3
    assert "| 0.5, 1.9 |" in every_run


@pytest.mark.parametrize("value, text", [(0.04567, "0.046"), (12.345, "12.3"), ("x", "x")])
def test_figures_are_written_to_three_decimals_below_ten(value: object, text: str) -> None:
    assert bench._format(value) == text
