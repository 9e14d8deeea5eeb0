"""Listings in a real JupyterLab: a run listing keeps every id and time on one line (no
wrapping however narrow the page), shows times without microseconds or `+00:00`, and an empty
listing says so above its empty frame."""

from __future__ import annotations

import re

import pytest
from support.lab import write_notebook
from test_widgets_in_lab import CHROMIUM, LAB_LOAD_MS, artifacts, pytestmark, save, wait_kernel

assert pytestmark  # its skips (no Chromium) apply here too

nbformat = pytest.importorskip("nbformat")
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

CELLS = (
    "%load_ext cml_magic",
    "%cml jobs run fit --wait",
    "%cml runs list --job fit",
    "%cml jobs create never-run --script fit.py -o job\n%cml runs list --job never-run",
)


def test_a_run_listing_keeps_ids_on_one_line_and_an_empty_one_says_so(lab, tmp_path) -> None:
    write_notebook(lab.root / "listings.ipynb", CELLS)
    shots = artifacts(tmp_path)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 900, "height": 900})  # a narrow page
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{lab.url}/lab/tree/listings.ipynb?token={lab.token}",
                      wait_until="domcontentloaded", timeout=LAB_LOAD_MS)  # fmt: skip
            page.locator(".jp-NotebookPanel").wait_for(timeout=LAB_LOAD_MS)
            wait_kernel(page)
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            out = page.locator(".jp-OutputArea-output")
            empty = out.filter(has_text="no runs yet")
            expect(empty).to_have_count(1, timeout=90_000)
            listing = out.filter(has_text="times are local").first
            table = listing.locator("table")
            expect(table).to_contain_text("fit")
            cells = table.locator("td")
            heights = cells.evaluate_all("cs => cs.map(c => c.getBoundingClientRect().height)")
            assert max(heights) < 1.6 * min(heights), heights  # no cell wraps onto two lines
            text = table.inner_text()
            assert "+00:00" not in text
            assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?!\.)", text), text
            save(listing, shots / "listing-runs.png")
        finally:
            browser.close()
