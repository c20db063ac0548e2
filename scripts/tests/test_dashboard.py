"""The dashboard in a real browser: every page renders every chart with data.

Starts Streamlit on a free port against a built warehouse, opens each page in Debian's headless
Chromium (driven by the Python playwright package; no browser is ever downloaded) and checks what
a reader would see: charts whose SVG holds data marks, metrics with numbers, tables with rows, and
no exception box. The dashboard reads the warehouse's BI file (cswh.bi_file), which `cswh run`
writes beside it, and finds it as in production: from ``CSWH_WAREHOUSE_PATH``. A second test points
the dashboard at a BI file whose marts are empty, then at a missing one, and proves the same check
fails there, so the first test cannot pass on an empty page. A screenshot of every page is saved.

Environment:
- CSWH_TEST_SAMPLE_WAREHOUSE: the shared sample (conftest.py's ``sample`` fixture), with its BI
  file beside it (``make test`` passes its own); unset, the session builds one.
- CSWH_DASHBOARD_SCREENSHOTS: where the PNG screenshots go (default: a pytest temporary folder).

Needs ``apt-get install -y chromium``. Deselect with ``pytest -m "not browser"``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sample_warehouse import Sample

from cswh import settings
from cswh.bi_file import BI_PATH_ENV, bi_path_for

REPO_ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_APP = REPO_ROOT / "dashboard" / "app.py"
DASHBOARD_VIEWS = REPO_ROOT / "dashboard" / "views"
EXPOSURES_YAML = REPO_ROOT / "models" / "exposures.yml"
CHROMIUM = Path("/usr/bin/chromium")
# Flags that keep Chromium inside a container (no sandbox, no GPU) and off the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_SECONDS = 60
PAGE_RENDER_MILLISECONDS = 30_000
# Vega labels axes, legends and titles with ARIA roles too; every other graphics symbol is a mark
# drawn from a data row.
NON_DATA_ROLE_DESCRIPTIONS = {"axis", "legend", "title"}
# How the dashboard shows an empty table cell (presentation.EMPTY_CELL).
EMPTY_CELL = "—"
# How the dashboard shows a value that does not exist (presentation.MISSING_VALUE).
MISSING_VALUE = "n/a"


@dataclass(frozen=True)
class FilterChange:
    """One filter change on a page and what it must do: change what is shown, or empty it."""

    widget: str  # "pill", "segment", "select" or "multiselect"
    label: str  # the widget's label
    option: str  # the option to click or choose; "#2": the second one offered
    empties: bool = False  # True: the page must then say no rows match the filters


@dataclass(frozen=True)
class PageExpectation:
    """What one dashboard page must show when the warehouse has data."""

    url_path: str
    view: str
    title: str
    charts: int = 0
    metrics: int = 0
    tables: int = 0
    filter_changes: tuple[FilterChange, ...] = ()


PAGES = [
    PageExpectation(
        "executive-summary", "executive_summary", "Executive summary", charts=3, metrics=5
    ),
    PageExpectation(
        "mrr-waterfall",
        "mrr_waterfall",
        "MRR waterfall",
        charts=2,
        tables=1,
        filter_changes=(FilterChange("select", "Months", "12"),),
    ),
    PageExpectation(
        "unit-economics",
        "unit_economics",
        "Unit economics",
        charts=4,
        metrics=4,
        tables=1,
        filter_changes=(FilterChange("segment", "Months", "12"),),
    ),
    # The wide table sits in a collapsed expander and is not rendered until opened.
    PageExpectation(
        "cohort-retention",
        "cohort_retention",
        "Cohort retention",
        charts=1,
        filter_changes=(FilterChange("segment", "Measure", "net revenue retention"),),
    ),
    PageExpectation(
        "renewals",
        "renewals",
        "Renewals",
        charts=2,
        metrics=3,
        tables=3,
        filter_changes=(
            FilterChange("segment", "Due in", "next 30 days"),
            FilterChange("pill", "Touch tier", "low_touch"),
        ),
    ),
    PageExpectation(
        "account",
        "account",
        "Account drill-down",
        charts=2,
        metrics=7,
        # The second account of the list (option None: the last option; here an index).
        filter_changes=(FilterChange("select", "Account", "#2"),),
    ),
    PageExpectation(
        "health",
        "health",
        "Account health",
        charts=4,
        tables=1,
        filter_changes=(FilterChange("pill", "Health band", "yellow"),),
    ),
    PageExpectation(
        "arr-at-risk",
        "arr_at_risk",
        "ARR at risk",
        charts=2,
        metrics=3,
        tables=2,
        filter_changes=(FilterChange("pill", "Touch tier", "low_touch"),),
    ),
    PageExpectation(
        "nps-csat",
        "sentiment",
        "NPS and CSAT",
        charts=3,
        tables=1,
        filter_changes=(FilterChange("pill", "Touch tier", "tech_touch"),),
    ),
    PageExpectation(
        "escalations",
        "escalations",
        "Escalations",
        charts=3,
        tables=1,
        filter_changes=(
            FilterChange("segment", "Period", "week"),
            FilterChange("segment", "Type", "trouble"),
            FilterChange("segment", "Type", "opportunity", empties=True),
        ),
    ),
    PageExpectation(
        "plays",
        "plays",
        "Plays",
        tables=1,
        filter_changes=(FilterChange("multiselect", "Touch tier", "low_touch"),),
    ),
    PageExpectation(
        "csm-leaderboard",
        "csm_leaderboard",
        "CSM leaderboard",
        charts=1,
        tables=2,
        filter_changes=(FilterChange("pill", "Team", "#1"),),
    ),
]


# --- warehouse, server and browser ----------------------------------------------------------


def bi_file_beside(warehouse: Path) -> Path:
    """The BI file the dashboard derives from ``CSWH_WAREHOUSE_PATH`` (dashboard_server unsets
    ``CSWH_BI_WAREHOUSE_PATH``, so the developer's own setting is ignored here too)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(BI_PATH_ENV, raising=False)
        return bi_path_for(warehouse)


@pytest.fixture(scope="session")
def published_warehouse(sample: Sample) -> Path:
    # Read-only, as the dashboard reads the published file: no copy.
    warehouse = sample.warehouse
    bi_file = bi_file_beside(warehouse)
    assert bi_file.is_file(), (
        f"no BI file {bi_file} beside {warehouse}: `cswh run` writes it after every publish; "
        "rebuild the sample (make sample-build)"
    )
    return warehouse


@dataclass(frozen=True)
class Dashboard:
    """The one Streamlit server of the test session and the BI file it reads."""

    base_url: str
    bi_file: Path  # a link to the sample's BI file; tests may swap it and must restore it
    sample_bi_file: Path
    log_path: Path

    def restore(self) -> None:
        """Publish the sample's BI file again (an atomic replace, as `cswh run` does)."""
        staged = self.bi_file.with_name("staged.duckdb")
        staged.unlink(missing_ok=True)
        staged.symlink_to(self.sample_bi_file)
        staged.replace(self.bi_file)


@pytest.fixture(scope="session")
def dashboard(
    published_warehouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    """One server for every browser test: starting Streamlit costs seconds, a page load does not.

    The dashboard reads a link to the sample's BI file, so a test can publish another file in
    its place (empty marts, none at all) without touching the sample.
    """
    folder = tmp_path_factory.mktemp("dashboard-served")
    warehouse = folder / "warehouse.duckdb"
    bi_file = bi_file_beside(warehouse)
    bi_file.symlink_to(bi_file_beside(published_warehouse).resolve())
    log_path = folder / "streamlit.log"
    with dashboard_server(warehouse, log_path) as base_url:
        yield Dashboard(base_url, bi_file, bi_file_beside(published_warehouse).resolve(), log_path)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = settings.dashboard_screenshots() or tmp_path_factory.mktemp("dashboard-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser_page() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the dashboard test drives Debian's Chromium. "
            "Install it with `apt-get install -y chromium`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(PAGE_RENDER_MILLISECONDS)
            yield page
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def dashboard_server(warehouse: Path, log_path: Path) -> Iterator[str]:
    """Run `streamlit run dashboard/app.py` on a warehouse's BI file; yield its base URL.

    Only ``CSWH_WAREHOUSE_PATH`` is set: the dashboard derives the BI file from it.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    env = {name: value for name, value in os.environ.items() if name != BI_PATH_ENV}
    env["CSWH_WAREHOUSE_PATH"] = str(warehouse)
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, server, log_path)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def wait_until_healthy(base_url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"streamlit not healthy after {SERVER_START_SECONDS} s:\n{log_path.read_text()}")


# --- what a page must show ------------------------------------------------------------------

SCRIPT_DONE = (
    '[data-testid="stApp"][data-test-script-state="notRunning"]'
    '[data-test-connection-state="CONNECTED"]'
)


def open_page(page, base_url: str, url_path: str) -> None:
    """Load a page and wait until Streamlit has finished running its script."""
    page.goto(f"{base_url}/{url_path}")
    # The app root carries the script state; "initial" until the first run, then "running"
    # and "notRunning". A reload starts from "initial" again.
    page.wait_for_selector(SCRIPT_DONE)


def wait_for_elements(page, expectation: PageExpectation) -> None:
    """Wait (bounded) until the page's charts and tables are drawn.

    Both draw after the script has finished, from code the browser loads on first use (a
    skeleton stands in meanwhile), so on a cold browser or a busy machine they can lag.
    """
    # A timeout is not an error here: page_problems reports what is missing.
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            """([charts, tables]) =>
                document.querySelectorAll('[data-testid="stVegaLiteChart"] svg').length >= charts
                && document.querySelectorAll('[data-testid="stDataFrame"]').length >= tables
                && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0""",
            arg=[expectation.charts, expectation.tables],
        )


def data_mark_labels(chart) -> list[str]:
    """ARIA labels of a chart's data marks (bars, points, cells, lines), not of its axes."""
    return chart.locator('svg [role="graphics-symbol"]').evaluate_all(
        """(marks, skipped) => marks
            .filter(mark => !skipped.includes(mark.getAttribute('aria-roledescription')))
            .map(mark => mark.getAttribute('aria-label') || '')""",
        sorted(NON_DATA_ROLE_DESCRIPTIONS),
    )


def page_problems(page, expectation: PageExpectation) -> list[str]:
    """Everything on the open page that falls short of the expectation (empty: all good)."""
    problems = []
    heading = page.locator("h1").first.inner_text().strip() if page.locator("h1").count() else ""
    if heading != expectation.title:
        problems.append(f"heading is {heading!r}, expected {expectation.title!r}")
    problems.extend(exception_problems(page))

    charts = page.locator('[data-testid="stVegaLiteChart"]')
    if charts.count() < expectation.charts:
        problems.append(f"{charts.count()} charts, expected {expectation.charts}")
    for index in range(charts.count()):
        labels = data_mark_labels(charts.nth(index))
        if not any(re.search(r"\d", label) for label in labels):
            problems.append(f"chart {index + 1} has no data marks ({len(labels)} without data)")

    metric_values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    if len(metric_values) < expectation.metrics:
        problems.append(f"{len(metric_values)} metrics, expected {expectation.metrics}")
    # A ratio whose denominator is zero shows "n/a" (a month that lost no MRR has no quick
    # ratio), but a page of metrics none of which is a number shows no data.
    problems.extend(
        f"metric shows {value!r}, not a number"
        for value in metric_values
        if not re.search(r"\d", value) and value != MISSING_VALUE
    )
    if metric_values and not any(re.search(r"\d", value) for value in metric_values):
        problems.append(f"no metric shows a number: {metric_values}")

    tables = page.locator('[data-testid="stDataFrame"]')
    if tables.count() < expectation.tables:
        problems.append(f"{tables.count()} tables, expected {expectation.tables}")
    for index in range(tables.count()):
        table = tables.nth(index)
        if not table.is_visible():
            continue  # in a collapsed expander: not drawn until opened
        # The data grid is drawn on a canvas, with an accessible copy of the visible cells
        # beside it. An empty frame still has one row of empty cells (so aria-rowcount does
        # not tell), hence: some cell must hold a value.
        cells = table.locator('[role="gridcell"]')
        with contextlib.suppress(PlaywrightTimeoutError):
            cells.first.wait_for(state="attached", timeout=10_000)
        values = [text.strip() for text in cells.all_text_contents()]
        if not any(value and value != EMPTY_CELL for value in values):
            problems.append(f"table {index + 1} has no rows with values")
    return problems


def exception_problems(page) -> list[str]:
    exceptions = page.locator('[data-testid="stException"]')
    if exceptions.count():
        return [f"exception shown: {exceptions.first.inner_text()[:500]}"]
    return []


# What a reader sees in the main pane: headings, texts, metrics, alerts, table cells and the
# labels of chart marks. A filter change must change it.
CONTENT_SIGNATURE_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main) return '';
    const parts = [];
    main.querySelectorAll(
        'h1, h2, h3, [data-testid="stMarkdownContainer"], [data-testid="stMetricValue"], '
        + '[role="gridcell"], svg [role="graphics-symbol"]'
    ).forEach(node => parts.push(node.getAttribute('aria-label') || node.textContent || ''));
    return parts.join('\\n');
}"""


def content_signature(page) -> str:
    return page.evaluate(CONTENT_SIGNATURE_JS)


def widget(page, change: FilterChange):
    test_ids = {
        "pill": "stButtonGroup",
        "segment": "stButtonGroup",
        "select": "stSelectbox",
        "multiselect": "stMultiSelect",
    }
    return (
        page.locator('[data-testid="stMain"]')
        .locator(f'[data-testid="{test_ids[change.widget]}"]')
        .filter(has=page.get_by_text(change.label, exact=True))
        .first
    )


def choose_option(page, options, wanted: str) -> None:
    """Click the option named `wanted`, or the n-th one for "#n"."""
    if wanted.startswith("#"):
        options.nth(int(wanted[1:]) - 1).click()
    else:
        options.filter(has_text=re.compile(rf"^\s*{re.escape(wanted)}\s*$")).first.click()


def apply_filter(page, change: FilterChange) -> None:
    control = widget(page, change)
    if change.widget in ("pill", "segment"):
        choose_option(page, control.locator("button"), change.option)
    else:
        control.click()
        choose_option(page, page.locator('[role="option"]'), change.option)
        if change.widget == "multiselect":
            page.keyboard.press("Escape")


def wait_for_change(page, before: str) -> bool:
    """Wait until the script has rerun and the content differs; False when it never did."""
    try:
        page.wait_for_function(
            f"""(before) => document.querySelector('{SCRIPT_DONE}')
                && ({CONTENT_SIGNATURE_JS})() !== before""",
            arg=before,
            timeout=15_000,
        )
    except PlaywrightTimeoutError:
        return False
    return True


def filter_problems(page, expectation: PageExpectation) -> list[str]:
    """Apply each filter change of the page in turn; what did not do what it should."""
    problems = []
    for change in expectation.filter_changes:
        before = content_signature(page)
        apply_filter(page, change)
        if not wait_for_change(page, before):
            problems.append(f"{change.label} = {change.option}: nothing on the page changed")
        problems.extend(exception_problems(page))
        no_match = page.locator('[data-testid="stAlert"]', has_text="match the filters")
        if change.empties:
            with contextlib.suppress(PlaywrightTimeoutError):
                no_match.first.wait_for(timeout=10_000)
        if change.empties and not no_match.count():
            problems.append(f"{change.label} = {change.option}: no 'match the filters' notice")
        if change.empties and "make demo" in alert_texts(page):
            problems.append(f"{change.label} = {change.option}: blames the warehouse")
    return problems


def save_screenshot(page, folder: Path, name: str) -> Path:
    """Screenshot the whole page: the app scrolls inside its main pane, so grow the viewport."""
    height = page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            return Math.max(main ? main.scrollHeight : 0, document.body.scrollHeight);
        }"""
    )
    page.set_viewport_size({"width": 1400, "height": min(max(height, 1000), 8000)})
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


def alert_texts(page) -> str:
    return "\n".join(page.locator('[data-testid="stAlert"]').all_inner_texts())


def sidebar_book(page) -> str:
    """The CSM chosen in the sidebar's book filter, as shown."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.inner_text()


# --- tests ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_every_page_renders_its_charts_with_data_and_follows_its_filters(
    dashboard: Dashboard, browser_page, screenshots: Path
) -> None:
    page = browser_page
    failures = {}
    for expectation in PAGES:
        open_page(page, dashboard.base_url, expectation.url_path)
        wait_for_elements(page, expectation)
        problems = page_problems(page, expectation)
        save_screenshot(page, screenshots, expectation.view)
        problems.extend(filter_problems(page, expectation))
        if problems:
            failures[expectation.view] = problems
    print(f"dashboard screenshots: {screenshots}")
    assert not failures, f"pages not rendered with data (screenshots in {screenshots}): {failures}"


@pytest.mark.browser
def test_the_root_url_opens_the_executive_summary_at_its_own_path(
    dashboard: Dashboard, browser_page
) -> None:
    page = browser_page
    open_page(page, dashboard.base_url, "")
    page.wait_for_url(re.compile(r"/executive-summary(\?.*)?$"))
    page.wait_for_selector(SCRIPT_DONE)
    assert page.locator("h1").first.inner_text().strip() == "Executive summary"


@pytest.mark.browser
def test_the_csm_book_filter_narrows_every_account_list_and_follows_the_reader(
    dashboard: Dashboard, browser_page, screenshots: Path
) -> None:
    page = browser_page
    open_page(page, dashboard.base_url, "plays")
    everyone = page.get_by_text(re.compile(r"of [\d,]+ open plays shown")).inner_text()
    # Choose the first CSM in the sidebar: the list of plays shrinks to their book.
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.locator('[role="option"]').nth(1).click()
    page.wait_for_function(
        """(before) => {
            const shown = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
                .map(node => node.textContent).find(text => /open plays shown/.test(text));
            return shown && shown !== before;
        }""",
        arg=everyone,
    )
    csm = sidebar_book(page).strip()
    assert csm and "Everyone" not in csm
    assert not exception_problems(page)
    # The choice is in the URL (a CSM can bookmark their book) and stays with the reader.
    assert "csm=" in page.url
    page.get_by_role("link", name="Account health").click()
    page.wait_for_url(re.compile(r"/health"))
    page.wait_for_selector(SCRIPT_DONE)
    assert sidebar_book(page).strip() == csm
    shown = page.get_by_text(re.compile(r"of [\d,]+ scored accounts shown"))
    assert shown.count() or page.locator('[data-testid="stAlert"]', has_text=csm).count(), (
        "the health page shows neither the book's accounts nor a notice naming the CSM"
    )
    save_screenshot(page, screenshots, "health_one_book")
    # A bookmarked book opens filtered in a fresh session.
    book_url = page.url
    open_page(page, dashboard.base_url, book_url.removeprefix(dashboard.base_url + "/"))
    assert sidebar_book(page).strip() == csm
    assert not exception_problems(page)


@pytest.mark.browser
def test_the_check_fails_on_empty_marts_and_a_missing_warehouse(
    dashboard: Dashboard, browser_page, screenshots: Path, tmp_path: Path
) -> None:
    # Blank every mart in a copy of the BI file and publish it in the served file's place.
    empty = tmp_path / "empty_bi.duckdb"
    shutil.copyfile(dashboard.sample_bi_file, empty)
    connection = duckdb.connect(str(empty))
    try:
        marts = connection.execute(
            "select table_name from information_schema.tables "
            "where table_schema = 'marts' and table_type = 'BASE TABLE'"
        ).fetchall()
        for (table,) in marts:
            connection.execute(f'delete from marts."{table}"')
    finally:
        connection.close()
    empty.replace(dashboard.bi_file)

    page = browser_page
    try:
        for expectation in PAGES:
            open_page(page, dashboard.base_url, expectation.url_path)
            # The page's final state: the warning that the marts are empty.
            page.locator('[data-testid="stAlert"]', has_text="make demo").first.wait_for()
            problems = page_problems(page, expectation)
            # Every page has something to show, so an empty warehouse must fail the check...
            assert problems, f"{expectation.view}: the check passed on empty marts"
            # ...and the reader is told why, not shown a stack trace.
            assert "make demo" in alert_texts(page), f"{expectation.view}: no hint to build"
            assert not any("exception" in problem for problem in problems), problems
        save_screenshot(page, screenshots, "empty_marts")

        # The same server, the file gone: a clear message naming it instead of a page.
        dashboard.bi_file.unlink()
        open_page(page, dashboard.base_url, "")
        assert page_problems(page, PAGES[0]), "the check passed with no BI file"
        assert "make demo" in alert_texts(page)
        assert dashboard.bi_file.name in alert_texts(page)
        save_screenshot(page, screenshots, "missing_warehouse")
    finally:
        # A publish (an atomic replace of the file) shows up on the next load, no restart.
        dashboard.restore()
    open_page(page, dashboard.base_url, PAGES[0].url_path)
    wait_for_elements(page, PAGES[0])
    assert page_problems(page, PAGES[0]) == []


# Marts the shared modules read on every page (the sidebar's CSM list and names).
SHARED_MODULES = [REPO_ROOT / "dashboard" / "csm_book.py"]


def marts_named(source: str) -> set[str]:
    return set(re.findall(r"\bmarts\.(\w+)", source))


def test_exposures_list_exactly_the_marts_each_page_reads() -> None:
    exposures = {
        exposure["name"]: exposure
        for exposure in yaml.safe_load(EXPOSURES_YAML.read_text())["exposures"]
    }
    shared = set().union(*(marts_named(module.read_text()) for module in SHARED_MODULES))
    for expectation in PAGES:
        source = (DASHBOARD_VIEWS / f"{expectation.view}.py").read_text()
        read = marts_named(source) | shared
        exposure = exposures[f"dashboard_{expectation.view}"]
        declared = {
            re.fullmatch(r"ref\('(\w+)'\)", dependency).group(1)
            for dependency in exposure["depends_on"]
        }
        assert read == declared, (
            f"{expectation.view}: reads {sorted(read)}, exposure {sorted(declared)}"
        )
        assert exposure["url"].rstrip("/").endswith(expectation.url_path)
    assert set(exposures) == {f"dashboard_{expectation.view}" for expectation in PAGES}
    assert {path.stem for path in DASHBOARD_VIEWS.glob("*.py")} == {
        expectation.view for expectation in PAGES
    }, "a page in dashboard/views/ has no PageExpectation"
