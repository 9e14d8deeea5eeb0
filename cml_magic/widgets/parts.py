"""Building blocks shared by the live widgets and the panels: status pills, the stepper, the
environment line, one-line messages, buttons, HTML rows and tables."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TypeVar

import ipywidgets as w

from cml_magic.api.masking import mask_environment, mask_text
from cml_magic.widgets.failures import one_line
from cml_magic.widgets.status import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    STEPS,
    Phase,
    phase,
)

# JupyterLab's theme variables, so that every widget reads in light and dark themes; the
# fallbacks (light colours) serve front ends without them (classic Notebook, VS Code).
TEXT = "var(--jp-ui-font-color1, #1f2328)"
MUTED = "var(--jp-ui-font-color2, #57606a)"
ERROR = "var(--jp-error-color1, #cf222e)"
LINK = "var(--jp-content-link-color, #0969da)"
BORDER = "var(--jp-border-color2, #d0d7de)"
CODE_BOX = (
    "background:var(--jp-layout-color2, #f6f8fa);color:var(--jp-ui-font-color1, #1f2328);"
    "border:1px solid var(--jp-border-color2, #d0d7de);"
    "font-family:var(--jp-code-font-family, monospace)"
)
# A status badge's background and text, by its text colour: the darker shade of each theme
# colour under white text (black on orange), at least 4.5:1 in JupyterLab Light and Dark
# (Dark's green is darkened by a fifth of black: white on it alone is 4.1:1).
PILLS = {
    GREY: ("var(--jp-layout-color3, #6c757d)", "var(--jp-ui-font-color0, #fff)"),
    BLUE: ("var(--jp-brand-color0, #1f6feb)", "#fff"),
    GREEN: ("color-mix(in srgb, var(--jp-success-color0, #1a7f37) 80%, #000)", "#fff"),
    RED: ("var(--jp-error-color0, #cf222e)", "#fff"),
    ORANGE: ("var(--jp-warn-color0, #bf8700)", "#000"),
}
T = TypeVar("T")


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def badge(info: Phase) -> str:
    """The status as a coloured pill."""
    background, colour = PILLS.get(info.colour, PILLS[GREY])
    return (
        f'<span class="cml-badge" style="background:{background};color:{colour};'
        f'padding:1px 8px;border-radius:9px;font-weight:600;white-space:nowrap">'
        f"{esc(info.label)}</span>"
    )


SHORT_ID = 8  # a UUID's first characters: unique among a model's builds and deployments


def short_id(value: str) -> str:
    """A long id (a UUID) as its first characters, the whole id in the tooltip; so that a
    table of them fits a notebook's width. Shorter ids are shown whole."""
    if len(value) <= 2 * SHORT_ID:
        return f"<code>{esc(value)}</code>"
    return f'<code title="{esc(value)}">{esc(value[:SHORT_ID])}…</code>'


def status_badge(kind: str, status: str | None) -> str:
    return badge(phase(kind, status))


def stepper(kind: str, info: Phase) -> str:
    """The steps of `kind` with those done ticked, the current one in its colour."""
    steps = list(STEPS[kind])
    last = len(steps) - 1
    # The current step says what the status pill says ("pending", not "queued"; "stopping",
    # "succeeded"...): one word for one state across the widget.
    steps[info.step] = info.label
    parts = []
    for i, name in enumerate(steps):
        if i < info.step or (i == info.step == last and info.succeeded):
            mark, colour, weight = "✔", GREEN, "normal"
        elif i == info.step:
            mark, colour, weight = "●", info.colour, "700"
        else:
            mark, colour, weight = "○", MUTED, "normal"
        parts.append(
            f'<span class="cml-step" style="color:{colour};font-weight:{weight}">'
            f"{mark} {esc(name)}</span>"
        )
    return f'<span style="color:{MUTED}"> → </span>'.join(parts)


def environment_line(
    environment: dict[str, str] | None,
    label: str = "environment",
    empty: str = "no environment overrides",
) -> str:
    """Environment overrides on one line, secret-looking values and known keys masked."""
    shown = mask_environment(environment)
    if not shown:
        return f'<span style="color:{MUTED}">{esc(empty)}</span>'
    pairs = " ".join(f"<code>{esc(k)}={esc(v)}</code>" for k, v in sorted(shown.items()))
    return f'<span style="color:{TEXT}">{esc(label)}</span> {pairs}'


def html_widget(value: str = "", cls: str | None = None) -> w.HTML:
    widget = w.HTML(value=value)
    if cls:
        widget.add_class(cls)
    return widget


def button(
    description: str, cls: str, handler: Callable[[w.Button], object], **kw: object
) -> w.Button:
    """A button with a CSS class (tests and the browser find it by it) and its click handler."""
    b = w.Button(description=description, **kw)
    b.add_class(cls)
    b.on_click(handler)
    return b


def calling(action: Callable[..., object], *args: object) -> Callable[[w.Button], object]:
    """A click handler that calls `action(*args)` (the clicked button is not passed on)."""
    return lambda _button: action(*args)


def grid(headers: Sequence[str], rows: Sequence[Sequence[object]], cls: str) -> w.GridBox:
    """A table whose cells may be widgets (buttons) or HTML text."""
    cells: list[w.Widget] = [html_widget(f"<b>{esc(h)}</b>") for h in headers]
    for row in rows:
        for cell in row:
            cells.append(cell if isinstance(cell, w.Widget) else html_widget(str(cell)))
    box = w.GridBox(
        cells,
        layout=w.Layout(
            grid_template_columns=f"repeat({len(headers)}, max-content)",
            grid_gap="2px 14px",
            align_items="center",
        ),
    )
    box.add_class(cls)
    return box


class Messages:
    """One line under a widget or panel for what just happened or went wrong."""

    def __init__(self) -> None:
        self.widget = html_widget(cls="cml-message")
        self.text = ""

    def say(self, text: str, error: bool = False) -> None:
        """Show `text` (empty: clear; masked); errors in red."""
        text = mask_text(text)
        self.text = text
        colour = ERROR if error else TEXT
        self.widget.value = f'<span style="color:{colour}">{esc(text)}</span>' if text else ""

    def run(self, action: Callable[[], T]) -> T | None:
        """Run `action`; show its failure as one line and return None instead of raising."""
        try:
            return action()
        except Exception as exc:
            self.say(one_line(exc), error=True)
            return None
