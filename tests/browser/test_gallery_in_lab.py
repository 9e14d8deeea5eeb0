"""Every widget and panel in a real JupyterLab, in JupyterLab Light and JupyterLab Dark: the
build widget (failed, with its log's tail; built, with Deploy), the deployment widget, a
stopped run, the run form after a run and refusing a row, the models panel, the applications
panel, the project browser, the tabs and a run listing. Each is checked readable in both
themes (every piece of text against what is really behind it, WCAG 2: 4.5:1; nothing cut off
at the right) and photographed, cropped to itself, into $BROWSER_TEST_ARTIFACTS
(`python3 dev.py screenshots` writes docs/img with it).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.lab import CONTRAST, artifacts, notebook_in_lab, save, switch_to_dark, write_notebook
from support.waits import wait_for
from test_widgets_in_lab import CHROMIUM, FINISH_MS, LAB_LOAD_MS, RENDER_MS, pytestmark

assert pytestmark  # its skips (no Chromium) apply here too

nbformat = pytest.importorskip("nbformat")
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PROJECT = "risk-analysis"
BROKEN = (
    "import sys\nprint('loading the model ...')\nraise RuntimeError('model file cannot load')\n"
)
BROKEN += "\ndef predict(args):\n    return args\n"


@pytest.fixture
def cml_server(local_cml_factory):
    """A demo server holding one of everything to show: a model with a build and a deployment
    serving, a model whose build failed, a running application."""
    from cml_magic.api import CML

    server = local_cml_factory(phase_delay=0.05)
    with CML(server.url, server.api_key, project=PROJECT) as cml:
        model = cml.models.create("scorer", description="scores risk")
        build = cml.builds.create(model.id, "predict.py", "predict")
        cml.wait_for_build(build, timeout=60, poll_interval=0.1)
        deployment = cml.deployments.create(build.id, model.id, environment={"MODEL_TOKEN": "t0k"})
        cml.wait_for_deployment(deployment, timeout=60, poll_interval=0.1)
        cml.files.upload("broken_model.py", BROKEN)
        broken = cml.models.create("broken")
        failed = cml.builds.create(broken.id, "broken_model.py", "predict")
        cml.wait_for_build(failed, timeout=60, poll_interval=0.1)
        app = cml.applications.create(
            "dashboard", "app.py", "dash", environment={"DASH_TITLE": "Risk", "DASH_TOKEN": "t0k"}
        )
        wait_for(
            lambda: cml.applications.get(app.id).status == "APPLICATION_RUNNING",
            "the application to run",
            60,
        )
        cml.wait_for_run(cml.runs.create("fit"), timeout=60, poll_interval=0.1)
        long = cml.runs.create("quick-check", environment={"ANALYSIS_SECONDS": "60"})
        wait_for(
            lambda: cml.runs.get(long.id, "quick-check").status == "ENGINE_RUNNING",
            "the run to run",
            60,
        )
        cml.runs.stop(long.id, "quick-check")
        cml.wait_for_run(long, timeout=60, poll_interval=0.1)
    return server


SETUP = """\
from cml_magic.api import CML
from cml_magic import widgets

cml = CML.from_env()
scorer, broken = cml.models.get("scorer"), cml.models.get("broken")
def shot(widget, name):
    widget.add_class("shot-" + name)
    return widget
"""

# (name, cell): each cell's value carries the class `shot-<name>`, except the listing's.
CELLS = [
    (
        "build-widget-failed",
        'shot(widgets.watch(cml.builds.list(broken.id)[0], cml), "build-widget-failed")',
    ),
    (
        "build-widget-built",
        'shot(widgets.watch(cml.builds.list(scorer.id)[0], cml), "build-widget-built")',
    ),
    (
        "deployment-widget",
        'shot(widgets.watch(cml.deployments.list(scorer.id)[0], cml), "deployment-widget")',
    ),
    (
        "run-form",
        'form = shot(widgets.panel(cml, "jobs", job="nightly"), "run-form")\n'
        'form.add_row("ANALYSIS_DB_PASSWORD", "hunter2")\n'
        'form.add_row("ANALYSIS_SECONDS", "1")\n'
        "form.run()\n"
        "form",
    ),
    (
        "model-panel",
        'models = shot(widgets.panel(cml, "models"), "model-panel")\n'
        "models.models.value = scorer.id\n"
        "models",
    ),
    ("apps-panel", 'shot(widgets.panel(cml, "apps"), "apps-panel")'),
    (
        "run-widget-stopped",
        'shot(widgets.watch(cml.runs.list("quick-check")[0], cml), "run-widget-stopped")',
    ),
    (
        "run-form-refused",
        'refused = shot(widgets.panel(cml, "jobs", job="fit"), "run-form-refused")\n'
        'refused.add_row("", "a value")\n'
        "refused.run()\n"
        "refused",
    ),
    (
        "project-browser",
        'browser = shot(widgets.panel(cml, "projects"), "project-browser")\n'
        'browser.show_runs(cml.jobs.get("fit"))\n'
        "browser",
    ),
    ("panel-tabs", 'shot(widgets.panel(cml), "panel-tabs")'),
    ("listing-runs", "%load_ext cml_magic\n%cml runs list --job fit"),
]

# Each shown piece's text against what is behind it, and whether it is cut at the right.
PIECES = """(root) => {
  const contrast = CONTRAST;
  const found = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  // What the notebook shows of the output: text right of it is cut off (or scrolled to).
  const frame = (root.closest('.jp-OutputArea-output') || root).getBoundingClientRect();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!t.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (el.closest('button:disabled, .mod-disabled, option, select')) continue;  // WCAG exempts
    if (el.closest('.lm-TabBar')) continue;  // JupyterLab's own tab bar, drawn by its theme
    const seenAs = contrast(el);
    const cut = box.right > frame.right + 1 || (el.scrollWidth > el.clientWidth + 1
      && style.overflowX === 'hidden' && style.textOverflow !== 'ellipsis');
    found.push({...seenAs, cut, tag: el.tagName, cls: el.className});
  }
  return found;
}""".replace("CONTRAST", CONTRAST.strip())


def unreadable(widget, name: str, theme: str) -> list[str]:
    """Each piece of `widget`'s text that cannot be read in `theme` (a listing may be wider
    than the notebook: JupyterLab scrolls it, as it scrolls every DataFrame)."""
    problems = []
    for piece in widget.evaluate(PIECES):
        if piece["ratio"] < 4.5 or (piece["cut"] and not name.startswith("listing")):
            text = piece["text"].strip()[:40]
            problems.append(
                f"{name} ({theme}): {text!r} {piece['tag']}.{piece['cls']} fg {piece['fg']}"
                f" on {piece['bg']}: {piece['ratio']:.2f}:1{' cut' if piece['cut'] else ''}"
            )
    return problems


def save_whole(page, element, path: Path) -> None:
    """`element` photographed whole: the page widened for the time of it where its content
    is wider than the notebook (a listing)."""
    extra = element.evaluate(
        "(el) => Math.max(0, ...[el, ...el.querySelectorAll('*')].map("
        "(n) => n.scrollWidth - n.clientWidth))"
    )
    size = page.viewport_size
    if extra > 1:
        page.set_viewport_size({"width": size["width"] + extra + 16, "height": size["height"]})
        page.wait_for_timeout(300)  # laid out again
    try:
        save(element, path)
    finally:
        page.set_viewport_size(size)


def test_every_widget_and_panel_reads_in_both_themes(lab, tmp_path) -> None:
    cells = [SETUP, *(cell for _, cell in CELLS)]
    write_notebook(lab.root / "gallery.ipynb", cells)
    shots = artifacts(tmp_path)
    viewport = {"width": 1100, "height": 900}
    with notebook_in_lab(lab, "gallery.ipynb", CHROMIUM, viewport, shots, LAB_LOAD_MS) as (
        page,
        errors,
    ):
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        out = page.locator(".jp-OutputArea-output")
        shown = {name: out.locator(f".shot-{name}") for name, _ in CELLS[:-1]}
        listing = (
            page.locator(".jp-Notebook .jp-CodeCell")
            .nth(len(CELLS))
            .locator(".jp-OutputArea-output")
        )
        shown["listing-runs"] = listing.filter(has_text="times are local").first
        for element in shown.values():
            element.wait_for(timeout=RENDER_MS)
        failed = shown["build-widget-failed"]
        expect(failed.locator(".cml-status")).to_have_text("build failed", timeout=FINISH_MS)
        expect(failed).to_contain_text("model file cannot load", timeout=FINISH_MS)
        expect(shown["build-widget-built"].locator(".cml-status")).to_have_text("built")
        expect(shown["build-widget-built"].locator("button.cml-deploy")).to_be_enabled()
        deployment = shown["deployment-widget"]
        expect(deployment.locator(".cml-status")).to_have_text("deployed", timeout=FINISH_MS)
        expect(deployment).to_contain_text("curl")
        form = shown["run-form"]
        started = form.locator(".cml-started-runs .cml-status")
        expect(started).to_have_text(re.compile("succeeded"), timeout=FINISH_MS)
        models = shown["model-panel"]
        expect(models.locator(".cml-deployments button.cml-deployment-stop")).to_be_visible()
        expect(models.locator(".cml-deployments button.cml-deployment-restart")).to_be_visible()
        expect(models.locator("button.cml-create-model")).to_be_visible()
        apps = shown["apps-panel"]
        expect(apps).to_contain_text("dashboard")
        expect(apps.locator(".cml-badge")).to_have_text(re.compile("running"), timeout=FINISH_MS)
        expect(shown["project-browser"].locator(".cml-runs-table")).to_contain_text("succeeded")
        stopped = shown["run-widget-stopped"].locator(".cml-status")
        expect(stopped).to_have_text("stopped", timeout=FINISH_MS)
        expect(shown["run-form-refused"].locator(".cml-message")).to_contain_text("row 1")
        expect(shown["panel-tabs"].locator(".cml-projects")).to_be_visible()
        page.wait_for_timeout(500)  # the last updates drawn

        problems: list[str] = []
        boxes = "(el) => [el, ...el.querySelectorAll('.cml-live')].map((n) => [n.className,"
        boxes += " n.getBoundingClientRect().right - (n.closest('.jp-OutputArea-output')"
        boxes += " || n).getBoundingClientRect().right])"
        for name, element in shown.items():  # a widget's frame fits the notebook, border too
            for cls, over in element.evaluate(boxes):
                if over > 0.5:
                    problems.append(f"{name}: {cls} is {over:.0f}px wider than the output")
        for name, element in shown.items():  # a pill or a link is one word: never wrapped
            for piece in element.locator(".cml-badge, a").all():
                if piece.evaluate("(el) => el.getClientRects().length") > 1:  # 0: hidden tab
                    problems.append(f"{name}: {piece.text_content()!r} wraps")
        for theme in ("light", "dark"):
            if theme == "dark":
                switch_to_dark(page, RENDER_MS, settle_ms=800)
            for name, element in shown.items():
                problems += unreadable(element, name, theme)
                save_whole(page, element, shots / f"{name}-{theme}.png")
        assert not problems, "\n".join(problems)
        assert not errors, f"errors in the page: {errors}"
