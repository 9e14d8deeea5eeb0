"""A chart in a real JupyterLab: `%cml runs plot` shows its PNG inline with no `%matplotlib`,
and its text reads as well in JupyterLab Light as in JupyterLab Dark (the background is
transparent: the theme's own shows through). The contrast is measured on the screenshot: the
chart's grey text against the background really behind it."""

from __future__ import annotations

import io
import re

import pytest
from support.lab import write_notebook
from test_widgets_in_lab import CHROMIUM, LAB_LOAD_MS, artifacts, pytestmark, wait_kernel

assert pytestmark  # its skips (no Chromium) apply here too

nbformat = pytest.importorskip("nbformat")
sync_api = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")
expect = sync_api.expect

CELLS = (
    "%load_ext cml_magic",
    "%cml jobs run fit --wait\n%cml jobs run fit --wait",
    "%cml runs plot --job fit",
)
# What each theme paints behind an output (--jp-layout-color0).
BACKGROUNDS = {"JupyterLab Light": (255, 255, 255), "JupyterLab Dark": (17, 17, 17)}


def luminance(rgb: tuple[int, ...]) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def text_contrast(png: bytes) -> tuple[tuple[int, ...], float]:
    """(the background, the best contrast of a grey pixel against it): the chart's text is its
    only opaque grey, so its fully covered pixels give the text's contrast."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    counts = picture.getcolors(maxcolors=1 << 20)
    background = max(counts)[1]
    greys = {c for _, c in counts if max(c) - min(c) <= 6 and c != background}
    return background, max(contrast(c, background) for c in greys)


def test_a_chart_shows_inline_and_reads_in_light_and_dark(lab, tmp_path) -> None:
    write_notebook(lab.root / "charts.ipynb", CELLS)
    shots = artifacts(tmp_path)
    seen = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.set_default_timeout(60_000)
        try:
            page.goto(f"{lab.url}/lab/tree/charts.ipynb?token={lab.token}",
                      wait_until="domcontentloaded", timeout=LAB_LOAD_MS)  # fmt: skip
            page.locator(".jp-NotebookPanel").wait_for(timeout=LAB_LOAD_MS)
            wait_kernel(page)
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            chart = page.locator(".jp-OutputArea-output img").first
            chart.wait_for(timeout=90_000)
            expect(chart).to_have_attribute("src", re.compile("^data:image/png;base64,"))
            assert chart.evaluate("img => img.complete && img.naturalWidth") >= 600
            for theme, name in (("JupyterLab Light", "light"), ("JupyterLab Dark", "dark")):
                page.evaluate(
                    "(theme) => window.jupyterapp.commands.execute('apputils:change-theme',"
                    " {theme})",
                    theme,
                )
                page.wait_for_function(
                    "(theme) => document.body.dataset.jpThemeName === theme", arg=theme
                )
                page.wait_for_timeout(500)  # the theme's stylesheet applied to every node
                shot = chart.screenshot(path=str(shots / f"runs-plot-{name}.png"))
                seen[theme] = text_contrast(shot)
        finally:
            browser.close()
    for theme, (background, ratio) in seen.items():
        assert background == BACKGROUNDS[theme], (theme, background)  # transparent: the theme's
        assert ratio >= 4.3, (theme, ratio)
