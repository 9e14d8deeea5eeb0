"""The common part of the live progress widgets: layout, status rendering, poller wiring.

Built once and displayed once by the caller (from the main thread); afterwards only traits are
set, from the poller's thread (allowed by ipywidgets) or from button handlers. Subclasses add
their rows and buttons.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Generic, TypeVar

import ipywidgets as w

from cml_magic.widgets.controller import (
    ClientOrController,
    Controller,
    Watched,
    as_controller,
    kind_of,
)
from cml_magic.widgets.failures import one_line
from cml_magic.widgets.parts import (
    BORDER,
    LINK,
    MUTED,
    Messages,
    badge,
    esc,
    html_widget,
    stepper,
)
from cml_magic.widgets.poller import Poller, Subscription, get_poller
from cml_magic.widgets.status import Activity, Phase, phase
from cml_magic.widgets.timefmt import clock, elapsed, ended, started

TITLES = {"run": "Job run", "build": "Model build", "deployment": "Model deployment"}
W = TypeVar("W", bound=Watched)


def reporting(handler: Callable[..., None]) -> Callable[..., None]:
    """Show a button handler's failure as one line in the widget instead of losing it."""

    @functools.wraps(handler)
    def wrapped(self: LiveWidget[Watched], *args: object) -> None:
        try:
            handler(self, *args)
        except Exception as exc:
            self.say(one_line(exc), error=True)

    return wrapped


class LiveWidget(w.VBox, Generic[W]):  # type: ignore[misc]
    """A CML item's live status: subclasses are RunWidget, BuildWidget, DeploymentWidget."""

    def __init__(
        self,
        obj: W,
        cml: ClientOrController,
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
        self.layout = w.Layout(border=f"1px solid {BORDER}", padding="2px 10px", margin="4px 0")
        self.add_class(f"cml-{self.kind}")
        self.title = html_widget(cls="cml-title")
        self.status_html = html_widget(cls="cml-status")
        self.title.layout.margin = "0 0 0 10px"
        self.header = w.HBox([self.status_html, self.title])
        self.stepper = html_widget(cls="cml-stepper")
        self.times = html_widget(cls="cml-times")
        self.messages = Messages()
        self.message = self.messages.widget
        self.say = self.messages.say
        self.buttons = w.HBox()
        self.buttons.add_class("cml-buttons")
        self.link = self.controller.link(obj, project)
        self.children = self._rows()
        self.render(obj)
        self.follow()

    def _rows(self) -> tuple[w.Widget, ...]:
        return (self.header, self.stepper, self.times, self.message, self.buttons)

    # -- polling --------------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return phase(self.kind, self.obj.status)

    @property
    def status(self) -> str:
        return str(self.obj.status)

    @property
    def item(self) -> W:
        """The item as last seen: kept current while the widget is live."""
        return self.obj

    def show(self) -> None:
        """Display the widget now, from the cell's thread (`%cml ... --watch` does).

        The magic also returns the widget, so that `run = %cml jobs run J --watch` holds
        something that stays current; as the value of the cell that showed it, it is not
        shown a second time (shown from a later cell, it is drawn as usual).
        """
        show_once(self)

    def follow(self) -> None:
        """(Re)start live updates unless the item is final."""
        if self._closed or self.phase.activity is Activity.FINAL:
            return
        if self._sub is not None:
            self._sub.cancel()
        self._sub = self.controller.follow(self.obj, self, self.poller, self.project)

    def alive(self) -> bool:
        return not self._closed and self.comm is not None

    def update(self, obj: W) -> None:
        """A fresh copy from the poller."""
        if self.messages.text.startswith("reconnecting"):
            self.say("")
        if obj == self.obj:
            # Most look-ups of a long step answer what is shown: only the elapsed time moves.
            # Title, badge and stepper are not worked out again (the update took a sixth of a
            # look-up's CPU, most of it rendering an unchanged copy whole).
            self.obj = obj
            info = self.phase
            self.show_times(obj, info)
            self.render_unchanged(obj, info)
            return
        self.render(obj)

    def trouble(self, message: str, retry_in: float | None) -> None:
        if retry_in is None:
            self.say(f"stopped watching: {message}", error=True)
        else:
            self.say(f"reconnecting… ({message}; next try in {retry_in:.0f} s)", error=True)
            self.show_times(self.obj, self.phase)  # the elapsed time goes on while no answer comes

    def close(self) -> None:
        """Stop live updates and close the widget and its parts."""
        self._closed = True
        if self._sub is not None:
            self._sub.cancel()
        for child in self._all_parts():
            child.close()
        super().close()

    def _all_parts(self) -> list[w.Widget]:
        parts: list[w.Widget] = []
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

    def render(self, obj: W) -> None:
        """Show `obj`'s state (any thread)."""
        self.obj = obj
        info = phase(self.kind, obj.status)
        link = (
            f' · <a href="{esc(self.link)}" target="_blank" rel="noopener" '
            f'style="color:{LINK};text-decoration:underline;white-space:nowrap">'
            "open in CML ↗</a>"
            if self.link
            else ""
        )
        self.title.value = (
            f"<b>{TITLES[self.kind]}</b> <code>{esc(obj.id)}</code>{self.subtitle(obj)}{link}"
        )
        self.status_html.value = badge(info)
        self.stepper.value = stepper(self.kind, info)
        self.show_times(obj, info)
        self.render_more(obj, info)

    def show_times(self, obj: W, info: Phase) -> None:
        """Start, end and elapsed time of `obj`, whose phase is `info` (elapsed counted up to
        now while it goes on)."""
        final = info.activity is Activity.FINAL
        spent = elapsed(obj, final)
        parts = [f"started {clock(started(obj))}"]
        # A failed build has no built_at: its last update is when it ended. Nothing is said
        # of an end that has not come.
        end = (ended(obj) or getattr(obj, "updated_at", None)) if final else None
        if end is not None:
            parts.append(f"ended {clock(end)}")
        if spent:
            parts.append(f"elapsed {spent}")
        self.times.value = f'<span style="color:{MUTED}">{" · ".join(parts)}</span>'

    def subtitle(self, obj: W) -> str:
        return ""

    def render_more(self, obj: W, info: Phase) -> None:
        """Subclasses update their own rows and buttons here."""

    def render_unchanged(self, obj: W, info: Phase) -> None:
        """A fresh copy equal to the one shown came (its times are redrawn): subclasses whose
        rows move without a change of the item (a log) update them here."""
        self.render_more(obj, info)


def show_once(widget: w.Widget) -> None:
    """Display `widget` now; as the value of the cell that showed it, it is not shown again."""
    from IPython.display import display

    display(widget)  # type: ignore[no-untyped-call]
    shown_in = _execution_count()

    def once() -> None:
        del widget._ipython_display_  # later displays are the usual ones
        if _execution_count() != shown_in:
            display(widget)  # type: ignore[no-untyped-call]

    # IPython looks `_ipython_display_` up on the instance before the class's reprs.
    widget._ipython_display_ = once


def _execution_count() -> int | None:
    from IPython import get_ipython

    shell = get_ipython()
    count = getattr(shell, "execution_count", None)
    return count if isinstance(count, int) else None
