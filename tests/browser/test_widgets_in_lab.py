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

import contextlib
import os
import re
import shutil
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("jupyterlab")
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

from support.lab import Lab  # noqa: E402  (after the skips: it needs nothing, but reads better here)


def find_chromium() -> str | None:
    for candidate in (
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


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

KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""

LAB_LOAD_MS = 90_000
RENDER_MS = 60_000
FINISH_MS = 40_000


@pytest.fixture
def cml_server(local_cml_factory):
    # Visible phases: the browser must be able to see "running".
    return local_cml_factory(phase_delay=0.3)


@pytest.fixture
def lab(tmp_path, cml_server):
    root = tmp_path / "root"
    root.mkdir()
    env = {
        "CML_MAGIC_HOST": cml_server.url,
        "CML_MAGIC_API_KEY": cml_server.api_key,
        "CML_MAGIC_PROJECT": "risk-analysis",
        "CML_MAGIC_CONFIG": str(tmp_path / "no-config.toml"),
    }
    server = Lab(root, tmp_path, env)
    try:
        yield server.start()
    finally:
        server.stop()


def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BROWSER_TEST_ARTIFACTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(element, path: Path, **options) -> None:
    """A screenshot of `element` (a locator or a page) cropped to it, as a small palette PNG
    (docs/img keeps them at a few tens of KB) where Pillow is there."""
    if hasattr(element, "scroll_into_view_if_needed"):
        element.scroll_into_view_if_needed()
    element.screenshot(path=str(path), animations="disabled", **options)
    with contextlib.suppress(ImportError):
        from PIL import Image

        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(path, optimize=True)


def wait_kernel(page, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and dialog.first.is_visible():
            dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
        if page.evaluate(KERNEL_READY):
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"kernel not connected and idle within {timeout_s}s")


def test_run_widget_goes_live_and_the_panel_starts_a_run(lab, tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(c)
            for c in (WATCH_CELL, PANEL_CELL, TABS_CELL, MAGIC_WATCH_CELL)
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, lab.root / "widgets.ipynb")
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

# The WCAG 2 contrast ratio of an element's text against what is really behind it: the first
# opaque background up its ancestors, with the translucent ones on the way (and the text's own
# alpha) composed over it.
CONTRAST = """(el) => {
  const parse = (c) => {
    // rgb()/rgba() in 0-255, or color(srgb ...) in 0-1 (what a color-mix() computes to).
    const m = c.match(/rgba?\\(([^)]*)\\)/) || c.match(/color\\(srgb ([^)]*)\\)/);
    if (!m) throw new Error('unparsed colour ' + c);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    const scale = c.startsWith('color(') ? 255 : 1;
    return [p[0] * scale, p[1] * scale, p[2] * scale, p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3]));
  const layers = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    const c = parse(getComputedStyle(n).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let bg = [255, 255, 255];
  for (const layer of layers.reverse()) bg = over(layer, bg);
  const fg = over(parse(getComputedStyle(el).color), bg);
  const lum = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const box = el.getBoundingClientRect();
  return {ratio: (hi + 0.05) / (lo + 0.05), fg: fg.map(Math.round), bg: bg.map(Math.round),
          width: box.width, height: box.height, text: el.textContent};
}"""

THEME_NAME = "() => document.body.dataset.jpThemeName"


def check_readable(widget, theme: str) -> list[str]:
    """Each part of a finished run widget that cannot be read in `theme`, with its colours."""
    problems = []
    parts = [(widget.locator("pre.cml-log"), 4.5), (widget.locator(".cml-badge"), 3.0)]
    parts += [(step, 3.0) for step in widget.locator(".cml-step").all()]
    parts += [(widget.locator(".cml-times span"), 4.5), (widget.locator(".cml-title"), 4.5)]
    for part, least in parts:
        seen = part.evaluate(CONTRAST)
        if not (seen["width"] > 0 and seen["height"] > 0 and seen["ratio"] >= least):
            problems.append(f"{theme}: {seen} (needs {least}:1)")
    return problems


def test_widgets_read_in_the_light_and_the_dark_theme(lab, tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(THEME_CELL)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, lab.root / "themes.ipynb")
    shots = artifacts(tmp_path)
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{lab.url}/lab/tree/themes.ipynb?token={lab.token}",
                      wait_until="domcontentloaded", timeout=LAB_LOAD_MS)  # fmt: skip
            page.locator(".jp-NotebookPanel").wait_for(timeout=LAB_LOAD_MS)
            wait_kernel(page)
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

            page.evaluate(
                "() => { window.jupyterapp.commands.execute('apputils:change-theme',"
                " {theme: 'JupyterLab Dark'}); }"
            )
            page.wait_for_function(
                "() => document.body.dataset.jpThemeName === 'JupyterLab Dark' &&"
                " getComputedStyle(document.body).getPropertyValue('--jp-layout-color0')"
                ".trim() === '#111'",
                timeout=RENDER_MS,
            )
            page.wait_for_timeout(500)  # the theme's stylesheet applied to every node
            problems += check_readable(widget, "dark")
            save(widget, shots / "run-widget-dark.png")
            assert not problems, "\n".join(problems)
            assert not errors, f"errors in the page: {errors}"
        except Exception:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shots / "FAILED-themes.png"), full_page=True)
            print("=== jupyter lab log ===", lab.log(), sep="\n")
            raise
        finally:
            browser.close()
