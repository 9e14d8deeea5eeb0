"""JupyterLab on loopback for the browser tests: start, wait for it, stop it with its kernels;
finding Chromium, a notebook written and opened in it, waiting for the page's kernel, the
contrast of text in the page, the dark theme, what scrolls sideways, and small screenshots.

Own process group, private Jupyter/IPython folders, no news toast, and the app exposed to the
page so that kernel readiness can be read from it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .servers import free_port

START_S = 60


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


KERNEL_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""


def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BROWSER_TEST_ARTIFACTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(element: Any, path: Path, **options: Any) -> None:
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


class Lab:
    """A JupyterLab server serving `root`; `url`, `token`, `log()`."""

    def __init__(self, root: Path, state: Path, env: dict[str, str]) -> None:
        self.root = root
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = state / "lab.log"
        settings = state / "lab-settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        (settings / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false", "checkForUpdates": False})
        )
        self.env = {
            **os.environ,
            **env,
            "JUPYTER_CONFIG_DIR": str(state / "config"),
            "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
            "JUPYTER_DATA_DIR": str(state / "data"),
            "JUPYTERLAB_SETTINGS_DIR": str(state / "lab-settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
            "IPYTHONDIR": str(state / "ipython"),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self._kernels: list[Any] = []

    def api(self, path: str, method: str = "GET", timeout: float = 5) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read()
        return json.loads(body) if body else None

    def start(self) -> Lab:
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None",
            "--LabApp.expose_app_in_browser=True",
        ]  # fmt: skip
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + START_S
        while True:
            try:
                self.api("/api/status", timeout=2)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"jupyter lab exited early:\n{self.log()}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"jupyter lab did not answer:\n{self.log()}") from None
                time.sleep(0.3)

    def log(self, n: int = 6000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError as exc:
            return f"<no log: {exc}>"

    def stop(self) -> None:
        """Shut kernels and server down politely, then by pid (kernels have their own session)."""
        if self.proc is None:
            return
        try:
            import psutil

            kernels = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:
            kernels = []
        if self.proc.poll() is None:
            with contextlib.suppress(Exception):
                self.api("/api/shutdown", method="POST", timeout=10)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        for kernel in kernels:
            try:
                if kernel.is_running():
                    kernel.terminate()
                    kernel.wait(10)
            except Exception:
                with contextlib.suppress(Exception):
                    kernel.kill()
        self.proc = None


def write_notebook(path: Path, cells: Iterable[str]) -> None:
    """A notebook of code `cells` on the python3 kernel, written to `path`."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, path)


def unreadable_parts(parts: Iterable[tuple[Any, float]], theme: str) -> list[str]:
    """Each of `parts` (a locator and the least contrast it needs) that is not drawn or cannot
    be read in `theme`, with its colours."""
    problems = []
    for part, least in parts:
        seen = _measured(part)
        if not (seen["width"] > 0 and seen["height"] > 0 and seen["ratio"] >= least):
            problems.append(f"{theme}: {seen} (needs {least}:1)")
    return problems


def _measured(part: Any, tries: int = 5) -> Any:
    """`CONTRAST` of `part`; a live widget may redraw the element while it is measured (its old
    node, detached, has no computed colour): then it is measured again on the new one."""
    for attempt in range(tries):
        try:
            return part.evaluate(CONTRAST)
        except Exception as exc:
            # CONTRAST says `unparsed colour ` and the colour: nothing after it for none.
            uncoloured = str(exc).split("\n", 1)[0].rstrip().endswith("unparsed colour")
            if not uncoloured or attempt == tries - 1:
                raise
            part.page.wait_for_timeout(200)
    raise AssertionError("unreachable")


# How far the page and each table's box are wider than what the window shows of them.
OVERFLOW = """() => {
  const page = document.documentElement;
  return {
    page: page.scrollWidth - page.clientWidth,
    tables: [...document.querySelectorAll('table')].map((t) => {
      const box = t.parentElement;
      return {box: box.scrollWidth - box.clientWidth, scrolls: getComputedStyle(box).overflowX};
    }),
  };
}"""


def sideways(page: Any) -> dict[str, Any]:
    """`OVERFLOW` of `page`: `page` (pixels the page scrolls sideways, 0 when none) and, per
    table, `box` (pixels its parent box scrolls) and `scrolls` (that box's `overflow-x`)."""
    return dict(page.evaluate(OVERFLOW))


def switch_to_dark(page: Any, timeout_ms: float, settle_ms: float = 500) -> None:
    """JupyterLab Dark, waited for until its stylesheet is applied."""
    page.evaluate(
        "() => { window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'}); }"
    )
    page.wait_for_function(
        "() => document.body.dataset.jpThemeName === 'JupyterLab Dark' &&"
        " getComputedStyle(document.body).getPropertyValue('--jp-layout-color0')"
        ".trim() === '#111'",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(settle_ms)  # the theme's stylesheet applied to every node


@contextlib.contextmanager
def chromium_page(chromium: str, viewport: dict[str, int]) -> Iterator[Any]:
    """A page of a headless Chromium, closed with its browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport=viewport)
        finally:
            browser.close()


@contextlib.contextmanager
def notebook_in_lab(
    lab: Lab, notebook: str, chromium: str, viewport: dict[str, int], shots: Path, load_ms: float
) -> Iterator[tuple[Any, list[str]]]:
    """`notebook` open in `lab` with its kernel ready: the page and the errors seen in it. On a
    failure, a screenshot of the page (FAILED-<notebook>.png) and the server's log."""
    errors: list[str] = []
    with chromium_page(chromium, viewport) as page:
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(f"{lab.url}/lab/tree/{notebook}?token={lab.token}",
                      wait_until="domcontentloaded", timeout=load_ms)  # fmt: skip
            page.locator(".jp-NotebookPanel").wait_for(timeout=load_ms)
            wait_kernel(page)
            yield page, errors
        except Exception:
            with contextlib.suppress(Exception):
                name = notebook.removesuffix(".ipynb")
                page.screenshot(path=str(shots / f"FAILED-{name}.png"), full_page=True)
            print("=== jupyter lab log ===", lab.log(), sep="\n")
            raise
