"""Pieces the panels share: tables of widgets, a project picker, one-line messages."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w

from cml_magic.widgets.controller import Controller, username
from cml_magic.widgets.live import badge, one_line
from cml_magic.widgets.status import phase


def html_widget(value: str = "", cls: str | None = None) -> w.HTML:
    widget = w.HTML(value=value)
    if cls:
        widget.add_class(cls)
    return widget


def button(description: str, cls: str, handler: Callable[[Any], object], **kw: Any) -> w.Button:
    b = w.Button(description=description, **kw)
    b.add_class(cls)
    b.on_click(handler)
    return b


def grid(headers: Sequence[str], rows: Sequence[Sequence[Any]], cls: str) -> w.GridBox:
    """A table whose cells may be widgets (buttons) or text."""
    cells: list[Any] = [html_widget(f"<b>{html.escape(h)}</b>") for h in headers]
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


def status_badge(kind: str, status: str | None) -> str:
    return badge(phase(kind, status))


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


class Messages:
    """One line under a panel for what just happened or went wrong."""

    def __init__(self) -> None:
        self.widget = html_widget(cls="cml-message")
        self.text = ""

    def say(self, text: str, error: bool = False) -> None:
        self.text = text
        colour = "#cf222e" if error else "#57606a"
        self.widget.value = (
            f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""
        )

    def run(self, action: Callable[[], Any]) -> Any:
        """Run `action`; show its failure as one line and return None instead of raising."""
        try:
            return action()
        except Exception as exc:
            self.say(one_line(exc), error=True)
            return None


def project_label(project: Any) -> str:
    owner = username(getattr(project, "owner", None))
    return f"{owner}/{project.name}" if owner else str(project.name)


def project_picker(controller: Controller, project: Any, messages: Messages) -> w.Dropdown:
    """A dropdown of the projects the user sees (label owner/name, value id)."""
    options: list[tuple[str, str]] = []
    chosen = None
    projects = messages.run(lambda: controller.projects(limit=200)) or []
    for p in projects:
        options.append((project_label(p), p.id))
    wanted = project if project is not None else getattr(controller.cml, "project", None)
    if wanted:
        for p in projects:
            if wanted in (p.id, p.name):
                chosen = p.id
        if chosen is None:  # not in the first page, or given by another spelling
            found = messages.run(lambda: controller.cml.projects.get(wanted))
            if found is not None:
                options.insert(0, (project_label(found), found.id))
                chosen = found.id
    picker = w.Dropdown(options=options, value=chosen, description="Project")
    picker.add_class("cml-project-picker")
    return picker
