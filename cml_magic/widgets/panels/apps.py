"""The applications panel: each application's live status with Restart and Stop."""

from __future__ import annotations

import ipywidgets as w

from cml_magic.api.serving_objects import Application
from cml_magic.widgets.controller import ClientOrController, Controller, as_controller
from cml_magic.widgets.panels.common import project_picker
from cml_magic.widgets.parts import ERROR, Messages, button, esc, grid, html_widget, status_badge
from cml_magic.widgets.poller import Poller, Subscription, get_poller
from cml_magic.widgets.status import Activity, phase


class AppRow:
    """One application's cells; follows its status through the poller while it changes."""

    def __init__(self, app: Application, panel: AppsPanel) -> None:
        self.app = app
        self.panel = panel
        self.status = html_widget(cls="cml-app-status")
        self.restart = button("Restart", "cml-app-restart", lambda _b: self.act("restart"))
        self.stop = button("Stop", "cml-app-stop", lambda _b: self.act("stop"))
        self._sub: Subscription | None = None
        self._closed = False
        self.show(app)
        self.follow()

    @property
    def cells(self) -> list[object]:
        return [
            f"<b>{esc(self.app.name)}</b>",
            f"<code>{esc(self.app.subdomain)}</code>",
            self.status,
            self.restart,
            self.stop,
        ]

    def show(self, app: Application) -> None:
        self.app = app
        self.status.value = status_badge("application", app.status)
        self.stop.disabled = phase("application", app.status).activity is Activity.FINAL

    def follow(self) -> None:
        if phase("application", self.app.status).activity is Activity.FINAL:
            return
        if self._sub is not None:
            self._sub.cancel()
        self._sub = self.panel.controller.follow(
            self.app, self, self.panel.poller, self.panel.project
        )

    def act(self, what: str) -> None:
        c, project = self.panel.controller, self.panel.project
        action = c.restart_application if what == "restart" else c.stop_application
        app = self.panel.messages.run(lambda: action(self.app, project))
        if app is not None:
            self.show(app)
            self.panel.messages.say(f"{what} requested for {self.app.name}")
            self.follow()

    def close(self) -> None:
        self._closed = True
        if self._sub is not None:
            self._sub.cancel()

    # Listener
    def alive(self) -> bool:
        return not self._closed

    def update(self, obj: Application) -> None:
        self.show(obj)

    def trouble(self, message: str, retry_in: float | None) -> None:
        note = "reconnecting…" if retry_in is not None else "stopped watching"
        self.status.value = (
            status_badge("application", self.app.status)
            + f' <span style="color:{ERROR}">{note} ({esc(message)})</span>'
        )


class AppsPanel(w.VBox):  # type: ignore[misc]
    """A project's applications with live status, Restart and Stop, and a Refresh button."""

    def __init__(
        self, cml: ClientOrController, project: str | None = None, poller: Poller | None = None
    ) -> None:
        super().__init__()
        self.controller: Controller = as_controller(cml)
        self.poller = poller or get_poller()
        self.messages = Messages()
        self.picker = project_picker(self.controller, project, self.messages)
        self.picker.observe(lambda _c: self.refresh(), names="value")
        self.refresh_button = button("Refresh", "cml-refresh", lambda _b: self.refresh())
        self.table = w.VBox()
        self.rows: dict[str, AppRow] = {}
        self.add_class("cml-apps-panel")
        self.children = (
            w.HBox([self.picker, self.refresh_button]),
            self.table,
            self.messages.widget,
        )
        self.refresh()

    @property
    def project(self) -> str | None:
        chosen: str | None = self.picker.value  # an id, None before a choice
        return chosen

    def refresh(self) -> None:
        """Reload the application list."""
        for row in self.rows.values():
            row.close()
        self.rows = {}
        if self.project is None:
            self.table.children = ()
            return
        project = self.project
        apps = self.messages.run(lambda: self.controller.applications(project))
        if apps is None:
            return
        if not apps:
            self.table.children = (html_widget("<i>no applications in this project</i>"),)
            return
        self.rows = {a.name: AppRow(a, self) for a in apps}
        cells = [row.cells for row in self.rows.values()]
        headers = ["application", "subdomain", "status", "", ""]
        self.table.children = (grid(headers, cells, "cml-apps-table"),)

    def close(self) -> None:
        for row in self.rows.values():
            row.close()
        super().close()
