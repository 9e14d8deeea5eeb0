"""The common part of the live progress widgets: layout, status rendering, poller wiring.

Built once and displayed once by the caller (from the main thread); afterwards only traits are
set, from the poller's thread (allowed by ipywidgets) or from button handlers. Subclasses add
their rows and buttons.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from cml_magic.widgets.controller import Controller, as_controller, kind_of
from cml_magic.widgets.masking import masked
from cml_magic.widgets.poller import Poller, Subscription, get_poller
from cml_magic.widgets.status import STEPS, Activity, Phase, phase
from cml_magic.widgets.timefmt import clock, elapsed, ended, started

TITLES = {"run": "Job run", "build": "Model build", "deployment": "Model deployment"}


def badge(info: Phase) -> str:
    """The status as a coloured pill."""
    return (
        f'<span class="cml-badge" style="background:{info.colour};color:#fff;'
        f'padding:1px 8px;border-radius:9px;font-weight:600">{html.escape(info.label)}</span>'
    )


def stepper(kind: str, info: Phase) -> str:
    """The steps of `kind` with those done ticked, the current one in its colour."""
    steps = list(STEPS[kind])
    last = len(steps) - 1
    if info.step == last and info.activity is not Activity.ACTIVE:
        steps[last] = info.label  # "succeeded", "failed", "deployed"... instead of "finished"
    parts = []
    for i, name in enumerate(steps):
        if i < info.step or (i == info.step == last and info.succeeded):
            mark, colour, weight = "✔", "#1a7f37", "normal"
        elif i == info.step:
            mark, colour, weight = "●", info.colour, "700"
        else:
            mark, colour, weight = "○", "#8c959f", "normal"
        parts.append(
            f'<span class="cml-step" style="color:{colour};font-weight:{weight}">'
            f"{mark} {html.escape(name)}</span>"
        )
    return '<span style="color:#8c959f"> → </span>'.join(parts)


def environment_table(environment: dict[str, str] | None) -> str:
    """Environment overrides on one line, secret-looking values masked."""
    shown = masked(environment)
    if not shown:
        return '<span style="color:#8c959f">no environment overrides</span>'
    pairs = " ".join(
        f"<code>{html.escape(k)}={html.escape(v)}</code>" for k, v in sorted(shown.items())
    )
    return f'<span style="color:#57606a">environment</span> {pairs}'


def reporting(handler: Callable[..., None]) -> Callable[..., None]:
    """Show a button handler's failure as one line in the widget instead of losing it."""

    @functools.wraps(handler)
    def wrapped(self: LiveWidget, *args: Any) -> None:
        try:
            handler(self, *args)
        except Exception as exc:
            self.say(one_line(exc), error=True)

    return wrapped


def one_line(exc: BaseException) -> str:
    status = getattr(exc, "status", None)
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    text = " ".join(str(text).split())
    return f"{status} {text}" if status else text


class LiveWidget(w.VBox):  # type: ignore[misc]
    """A CML item's live status: subclasses are RunWidget, BuildWidget, DeploymentWidget."""

    def __init__(
        self,
        obj: Any,
        cml: Any,
        project: str | None = None,
        poller: Poller | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind_of(obj)
        self.obj = obj
        self.controller: Controller = as_controller(cml)
        self.project = project
        self.poller = poller or get_poller()
        self._sub: Subscription | None = None
        self._closed = False
        self.add_class("cml-live")
        self.layout = w.Layout(border="1px solid #d0d7de", padding="2px 10px", margin="4px 0")
        self.add_class(f"cml-{self.kind}")
        self.title = self._html("cml-title")
        self.status_html = self._html("cml-status")
        self.title.layout.margin = "0 0 0 10px"
        self.header = w.HBox([self.status_html, self.title])
        self.stepper = self._html("cml-stepper")
        self.times = self._html("cml-times")
        self.message = self._html("cml-message")
        self.buttons = w.HBox()
        self.buttons.add_class("cml-buttons")
        self.link = self.controller.link(obj, project)
        self.children = self._rows()
        self.render(obj)
        self.follow()

    @staticmethod
    def _html(cls: str, value: str = "") -> w.HTML:
        widget = w.HTML(value=value)
        widget.add_class(cls)
        return widget

    def _button(self, description: str, cls: str, handler: Callable[..., None], **kw: Any) -> Any:
        button = w.Button(description=description, **kw)
        button.add_class(cls)
        button.on_click(handler)
        return button

    def _rows(self) -> tuple[Any, ...]:
        return (self.header, self.stepper, self.times, self.message, self.buttons)

    # -- polling --------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return phase(self.kind, self.obj.status)

    @property
    def status(self) -> str:
        return str(self.obj.status)

    def follow(self) -> None:
        """(Re)start live updates unless the item is final."""
        if self._closed or self.phase.activity is Activity.FINAL:
            return
        if self._sub is not None:
            self._sub.cancel()
        self._sub = self.poller.watch(
            self.controller.key(self.obj),
            self.controller.fetcher(self.obj, self.project),
            self,
            activity=self.controller.activity(self.kind),
            group=self.controller.host,
        )

    def alive(self) -> bool:
        return not self._closed and self.comm is not None

    def update(self, obj: Any) -> None:
        """A fresh copy from the poller."""
        if self.message.value and "reconnecting" in self.message.value:
            self.say("")
        self.render(obj)

    def trouble(self, message: str, retry_in: float | None) -> None:
        if retry_in is None:
            self.say(f"stopped watching: {message}", error=True)
        else:
            self.say(f"reconnecting… ({message}; next try in {retry_in:.0f} s)", error=True)

    def close(self) -> None:
        """Stop live updates and close the widget and its parts."""
        self._closed = True
        if self._sub is not None:
            self._sub.cancel()
        for child in self._all_parts():
            child.close()
        super().close()

    def _all_parts(self) -> list[Any]:
        parts: list[Any] = []
        stack = list(self.children)
        while stack:
            part = stack.pop()
            if isinstance(part, LiveWidget):
                parts.append(part)  # closes its own parts
                continue
            parts.append(part)
            stack.extend(getattr(part, "children", ()))
        return parts

    # -- rendering ------------------------------------------------------------------------

    def say(self, text: str, error: bool = False) -> None:
        """Show one line under the status (empty text clears it)."""
        colour = "#cf222e" if error else "#57606a"
        self.message.value = (
            f'<span style="color:{colour}">{html.escape(text)}</span>' if text else ""
        )

    def render(self, obj: Any) -> None:
        """Show `obj`'s state (any thread)."""
        self.obj = obj
        info = phase(self.kind, obj.status)
        link = (
            f' · <a href="{html.escape(self.link)}" target="_blank" rel="noopener" '
            'style="color:#0969da;text-decoration:underline">'
            "open in CML ↗</a>"
            if self.link
            else ""
        )
        self.title.value = (
            f"<b>{TITLES[self.kind]}</b> <code>{html.escape(obj.id)}</code>"
            f"{self.subtitle(obj)}{link}"
        )
        self.status_html.value = badge(info)
        self.stepper.value = stepper(self.kind, info)
        final = info.activity is Activity.FINAL
        spent = elapsed(obj, final)
        self.times.value = (
            f'<span style="color:#57606a">started {clock(started(obj))} · '
            f"ended {clock(ended(obj) if final else None)}"
            + (f" · elapsed {spent}" if spent else "")
            + "</span>"
        )
        self.render_more(obj, info)

    def subtitle(self, obj: Any) -> str:
        return ""

    def render_more(self, obj: Any, info: Phase) -> None:
        """Subclasses update their own rows and buttons here."""
