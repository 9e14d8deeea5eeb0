"""The live widgets in a real JupyterLab, driven by headless Chromium through Playwright.

A notebook opened in the browser starts a job run on the local CML server and shows its
RunWidget; the test sees it render, sees the status go from running to succeeded with nobody
touching the page, then clicks Run in the jobs panel and sees the new run widget appear and
succeed. A second test switches JupyterLab from Light to Dark and measures, in both themes, the
contrast of a finished run widget's log, status pill, stepper, times and title against what is
really behind them (WCAG 2: 4.5:1 for text, 3:1 for the pill and the steps). Screenshots go to
$BROWSER_TEST_ARTIFACTS (docs/img holds the ones in docs/widgets.md).

Needs Chromium (Debian: `apt-get install -y --no-install-recommends chromium fonts-dejavu-core`;
or set CHROMIUM=/path); skips saying so when it is missing.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("jupyterlab")
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

from support.lab import (  # noqa: E402  (after the skips: it needs nothing, but reads better here)
    THEME_NAME,
    artifacts,
    find_chromium,
    notebook_in_lab,
    save,
    switch_to_dark,
    unreadable_parts,
    wait_kernel,
    write_notebook,
)

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium (Debian: apt-get install -y --no-install-recommends chromium "
        "fonts-dejavu-core, or set CHROMIUM=/path/to/chromium)",
    ),
]

# The run sleeps long enough that the widget is surely drawn while it is still running.
WATCH_CELL = """\
from cml_magic.api import CML
from cml_magic import widgets

cml = CML.from_env()
run = cml.runs.create("nightly", environment={"ANALYSIS_SECONDS": "6", "ANALYSIS_TOKEN": "t0k"})
live = widgets.watch(run, cml)
live.add_class("t-watch")
live
"""

PANEL_CELL = """\
form = widgets.panel(cml, "jobs", job="nightly")
form.add_class("t-form")
form.add_row("ANALYSIS_SECONDS", "1")
form
"""

TABS_CELL = """\
tabs = widgets.panel(cml)
tabs.add_class("t-tabs")
tabs
"""

# `--watch` as the cell's value: the live widget, shown once, and no frozen card beside it.
MAGIC_WATCH_CELL = """\
%load_ext cml_magic
%cml jobs run quick-check --watch
"""

LAB_LOAD_MS = 90_000
RENDER_MS = 60_000
FINISH_MS = 40_000


def test_run_widget_goes_live_and_the_panel_starts_a_run(lab, tmp_path):
    write_notebook(
        lab.root / "widgets.ipynb", (WATCH_CELL, PANEL_CELL, TABS_CELL, MAGIC_WATCH_CELL)
    )
    shots = artifacts(tmp_path)
    console: list[str] = []
    errors: list[str] = []
    steps: list[str] = []
    t0 = time.monotonic()

    def step(name: str) -> None:
        steps.append(f"{time.monotonic() - t0:6.1f}s {name}")

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(30_000)
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{lab.url}/lab/tree/widgets.ipynb?token={lab.token}",
                      wait_until="domcontentloaded", timeout=LAB_LOAD_MS)  # fmt: skip
            page.locator(".jp-NotebookPanel").wait_for(timeout=LAB_LOAD_MS)
            wait_kernel(page)
            step("kernel ready")
            page.locator("#jp-MainMenu").get_by_role("menuitem", name="Run", exact=True).click()
            page.locator('li.lm-Menu-item[data-command="runmenu:run-all"]').click()
            step("Run All Cells clicked")

            out = page.locator(".jp-OutputArea-output")
            watch = out.locator(".t-watch")
            status = watch.locator(".cml-status")
            status.wait_for(timeout=RENDER_MS)
            step("run widget rendered")
            expect(status).to_have_text(re.compile("running"), timeout=FINISH_MS)
            expect(watch.locator(".cml-title")).to_contain_text("Job run")
            step("status: running")
            save(watch, shots / "run-widget-running.png")
            expect(status).to_have_text(re.compile("succeeded"), timeout=FINISH_MS)
            step("status: succeeded, with no user action")
            expect(watch.locator(".cml-output")).to_contain_text("ANALYSIS_SECONDS=6")
            expect(watch.locator(".cml-env")).not_to_contain_text("t0k")  # masked
            expect(watch.locator("button.cml-stop")).to_be_disabled()
            save(watch, shots / "run-widget-succeeded.png")

            form = out.locator(".t-form")
            form.locator("button.cml-run").wait_for(timeout=RENDER_MS)
            form.locator("button.cml-run").click()
            step("Run clicked in the jobs panel")
            started = form.locator(".cml-started-runs .cml-status")
            expect(started).to_have_count(1, timeout=FINISH_MS)
            expect(started).to_have_text(re.compile("succeeded"), timeout=FINISH_MS)
            step("the new run succeeded")
            save(form, shots / "run-form.png")
            tabs = out.locator(".t-tabs")
            expect(tabs.locator(".cml-projects")).to_be_visible(timeout=RENDER_MS)
            save(tabs, shots / "panel-projects.png")
            magic = page.locator(".jp-Notebook .jp-CodeCell").nth(3).locator(".jp-OutputArea")
            expect(magic.locator(".cml-live .cml-status")).to_have_text(
                re.compile("succeeded"), timeout=FINISH_MS
            )
            expect(magic.locator(".cml-live")).to_have_count(1)  # one live status
            expect(magic).not_to_contain_text("JobRun")  # no card frozen at scheduling
            expect(magic.locator(".jp-OutputPrompt")).not_to_contain_text("Out[")
            step("the magic's --watch: one live widget")
            save(page, shots / "notebook.png", full_page=True)
            assert not errors, f"errors in the page: {errors}"
        except Exception:
            failed = shots / "FAILED.png"
            try:
                page.screenshot(path=str(failed), full_page=True)
            except Exception as exc:
                failed = Path(f"<no screenshot: {exc}>")
            print("=== steps ===", *steps, sep="\n")
            print("=== failure screenshot ===", failed, sep="\n")
            print("=== browser console (last 40) ===", *console[-40:], sep="\n")
            print("=== page errors ===", *errors, sep="\n")
            print("=== jupyter lab log ===", lab.log(), sep="\n")
            raise
        finally:
            browser.close()
    print("\n".join(steps))


# A run whose log is long enough to read, and that ends failed: its traceback must show too.
THEME_CELL = """\
from cml_magic.api import CML
from cml_magic import widgets

cml = CML.from_env()
run = cml.runs.create("nightly", environment={"ANALYSIS_SECONDS": "1", "ANALYSIS_TOKEN": "t0k"})
live = widgets.watch(run, cml)
live.add_class("t-theme")
live
"""


def check_readable(widget, theme: str) -> list[str]:
    """Each part of a finished run widget that cannot be read in `theme`, with its colours."""
    parts = [(widget.locator("pre.cml-log"), 4.5), (widget.locator(".cml-badge"), 3.0)]
    parts += [(step, 3.0) for step in widget.locator(".cml-step").all()]
    parts += [(widget.locator(".cml-times span"), 4.5), (widget.locator(".cml-title"), 4.5)]
    return unreadable_parts(parts, theme)


def test_widgets_read_in_the_light_and_the_dark_theme(lab, tmp_path):
    write_notebook(lab.root / "themes.ipynb", [THEME_CELL])
    shots = artifacts(tmp_path)
    viewport = {"width": 1100, "height": 800}
    with notebook_in_lab(lab, "themes.ipynb", CHROMIUM, viewport, shots, LAB_LOAD_MS) as (
        page,
        errors,
    ):
        assert page.evaluate(THEME_NAME) == "JupyterLab Light"
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        widget = page.locator(".jp-OutputArea-output .t-theme")
        status = widget.locator(".cml-status")
        status.wait_for(timeout=RENDER_MS)
        expect(status).to_have_text(re.compile("succeeded"), timeout=FINISH_MS)
        expect(widget.locator("pre.cml-log")).to_contain_text("ANALYSIS_SECONDS=1")
        # Nothing is left to stop: the button goes (a faded one read as "still running").
        expect(widget.locator("button.cml-stop")).to_be_hidden()
        problems = check_readable(widget, "light")
        save(widget, shots / "run-widget-light.png")

        switch_to_dark(page, RENDER_MS)
        problems += check_readable(widget, "dark")
        save(widget, shots / "run-widget-dark.png")
        assert not problems, "\n".join(problems)
        assert not errors, f"errors in the page: {errors}"


# A sweep of four runs, each in a job of its own (CML runs a job once at a time): one ends at
# once, one fails, two run on until Stop all. Each run writes its own log.
SWEEP_CELL = '''\
import itertools
from cml_magic.api import CML
from cml_magic.widgets.sweep import show_sweep

cml = CML.from_env()
cml.files.upload("sweep.py", """\\
import os, sys, time
from pathlib import Path
log = Path(".cml/runs") / (os.environ["CDSW_ENGINE_ID"] + ".log")
log.parent.mkdir(parents=True, exist_ok=True)
def say(text):
    with log.open("a") as out:
        out.write(text + "\\\\n")
say("epoch 1 LR=" + os.environ["LR"])
time.sleep(float(os.environ["SECONDS"]))
say("loss=0.%s%s SWEEP_TOKEN=t0k" % (os.environ["LR"][-1], os.environ["LAYERS"]))
sys.exit(int(os.environ["EXIT"]))
""", overwrite=True)
plan = {("0.1", "2"): ("1", "0"), ("0.1", "3"): ("1", "1"), ("0.2", "2"): ("120", "0"),
        ("0.2", "3"): ("120", "0")}
runs = []
for (lr, layers), (seconds, code) in plan.items():
    job = cml.jobs.create(f"sweep-lr{lr}-l{layers}", "sweep.py")
    env = {"LR": lr, "LAYERS": layers, "SECONDS": seconds, "EXIT": code}
    runs.append(({"LR": lr, "LAYERS": layers}, cml.runs.create(job.id, environment=env)))
sweep = show_sweep(cml, runs)
sweep.add_class("t-sweep")
sweep
'''


def check_sweep_readable(widget, theme: str) -> list[str]:
    """Each part of the sweep table that cannot be read in `theme`, with its colours."""
    parts = [(cell, 4.5) for cell in widget.locator("th").all()]
    parts += [(cell, 4.5) for cell in widget.locator("td code").all()]
    parts += [(badge, 3.0) for badge in widget.locator(".cml-badge").all()]
    parts += [(widget.locator(".cml-counts"), 4.5), (widget.locator(".cml-title"), 4.5)]
    parts += [(widget.locator("button.cml-stop-all"), 4.5)]  # its label against its own colour
    return unreadable_parts(parts, theme)


def test_the_sweep_table_renders_in_light_and_dark_and_stops_all(lab, tmp_path):
    write_notebook(lab.root / "sweep.ipynb", [SWEEP_CELL])
    shots = artifacts(tmp_path)
    viewport = {"width": 1100, "height": 800}
    with notebook_in_lab(lab, "sweep.ipynb", CHROMIUM, viewport, shots, LAB_LOAD_MS) as (
        page,
        errors,
    ):
        assert page.evaluate(THEME_NAME) == "JupyterLab Light"
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        widget = page.locator(".jp-OutputArea-output .t-sweep")
        rows = widget.locator("tr.cml-sweep-row")
        rows.first.wait_for(timeout=RENDER_MS)
        expect(rows).to_have_count(4)
        expect(widget.locator("th")).to_have_text(
            ["LR", "LAYERS", "run", "status", "duration", "last output line"]
        )
        counts = widget.locator(".cml-counts")
        # Rows change with nobody touching the page: two end, two run on.
        expect(counts).to_have_text("2 running · 1 succeeded · 1 failed", timeout=FINISH_MS)
        expect(widget.locator("tr[data-status=ENGINE_FAILED] .cml-badge")).to_have_text("failed")
        expect(widget.locator("tr[data-status=ENGINE_SUCCEEDED] .cml-last-line")).to_have_text(
            "loss=0.12 SWEEP_TOKEN=******", timeout=FINISH_MS
        )
        expect(widget.locator("tr[data-status=ENGINE_FAILED] .cml-last-line")).to_have_text(
            "loss=0.13 SWEEP_TOKEN=******", timeout=FINISH_MS
        )
        expect(widget).not_to_contain_text("t0k")  # masked
        problems = check_sweep_readable(widget, "light")
        save(widget, shots / "sweep-widget-light.png")

        switch_to_dark(page, RENDER_MS)
        problems += check_sweep_readable(widget, "dark")
        save(widget, shots / "sweep-widget-dark.png")
        assert not problems, "\n".join(problems)

        widget.locator("button.cml-stop-all").click()
        expect(counts).to_have_text(
            "0 running · 1 succeeded · 1 failed · 2 stopped", timeout=FINISH_MS
        )
        expect(widget.locator("button.cml-stop-all")).to_be_hidden()
        expect(widget.locator(".cml-message")).to_contain_text("stop requested for 2 runs")
        assert not errors, f"errors in the page: {errors}"
