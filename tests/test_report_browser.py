"""report.html in a real browser: Debian's chromium, headless, offline. The page loads from
disk without a single network request or console error, every section renders, hostile
document text stays text, and a screenshot is kept in test-artifacts/ for people to look at."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import juicer
from juicer.report import html as report_html
from tests.conftest import DATA, REPO, SAMPLE, write_recipe

ARTIFACTS = Path(os.environ.get("JUICER_TEST_ARTIFACTS", REPO / "test-artifacts"))
# as root in a container: no sandbox; no background traffic to hosts this machine can't reach
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def chromium() -> str:
    """Debian's chromium, installed through apt when missing (the test command's browser)."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("the browser test needs Debian's chromium: sudo apt-get install chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"],
                   check=True, capture_output=True, env=env)
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_offline(browser, path: Path):
    """The page at `path` with networking off; returns (page, problems, requests, dialogs)."""
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    requests, problems, dialogs = [], [], []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.abort())
                  if not route.request.url.startswith("file://") else route.continue_())
    page = context.new_page()
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems, requests, dialogs


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    directory = tmp_path_factory.mktemp("browser")
    recipe = write_recipe(directory, [
        {"op": "fix_unicode_mapper"},
        {"op": "whitespace_normalization_mapper"},
        {"op": "language_id_score_filter", "params": {"lang": ["en"], "min_score": 0.5}},
        {"op": "text_length_filter", "params": {"min_len": 300}},
        {"op": "special_characters_filter", "params": {"max_ratio": 0.3}},
        {"op": "document_minhash_deduplicator", "params": {"jaccard_threshold": 0.7}},
    ], paths=[SAMPLE, DATA / "bad_records.jsonl"])
    return juicer.process(recipe, overwrite=True)


def test_report_renders_offline_with_every_section(browser, full_run):
    page, problems, requests, dialogs = open_offline(browser, Path(full_run.output) / "report.html")
    assert problems == [] and requests == [] and dialogs == []
    for section, title in report_html.SECTIONS:
        box = page.locator(f"#{section}")
        assert box.is_visible() and box.bounding_box()["height"] > 40, section
        assert page.locator(f"#{section} h2").inner_text() == title
    # charts are drawn (not zero-sized) and the histograms carry their threshold lines
    charts = page.locator("svg.chart")
    assert charts.count() >= 6
    assert all(charts.nth(i).bounding_box()["width"] > 300 for i in range(charts.count()))
    assert page.locator("#statistics g.threshold").count() >= 3
    # the navigation jumps to a section; a step's drops expand to show sample documents
    page.click("nav a[href='#quarantine']")
    assert page.locator("#quarantine").is_visible()
    details = page.locator("details.step-drops").first
    assert not details.locator(".doc").first.is_visible()
    details.locator("summary").click()
    assert details.locator(".doc").first.is_visible()
    report = full_run.report
    summary = page.locator("#summary").inner_text()
    assert f'{report["kept_docs"]:,}' in summary and f'{report["quarantined_docs"]:,}' in summary
    assert "en" in page.locator("#languages").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert (ARTIFACTS / "report.png").stat().st_size > 50_000


def test_hostile_text_is_shown_as_text_and_runs_nothing(browser, tmp_path):
    path = tmp_path / "docs.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for index in range(30):
            text = (f'<script>alert("x{index}")</script><img src=x onerror="alert(2)">'
                    + " word" * (index * 3))
            handle.write(json.dumps({"text": text}) + "\n")
    recipe = write_recipe(tmp_path, [{"op": "words_num_filter", "params": {"min_num": 40}}],
                          paths=[path])
    result = juicer.process(recipe, overwrite=True)
    page, problems, requests, dialogs = open_offline(browser, Path(result.output) / "report.html")
    assert dialogs == [] and problems == [] and requests == []
    assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert '<script>alert("x' in page.locator("#samples").inner_text()
