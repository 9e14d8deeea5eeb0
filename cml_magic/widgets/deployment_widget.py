"""The live widget of one model deployment, with Stop and Restart."""

from __future__ import annotations

from typing import Any

from cml_magic.widgets.live import LiveWidget, reporting
from cml_magic.widgets.parts import button, environment_line, html_widget
from cml_magic.widgets.status import Activity, Phase


class DeploymentWidget(LiveWidget):
    """A model deployment, updated live (rarely once deployed); Stop and Restart buttons."""

    def __init__(self, deployment: Any, cml: Any, poller: Any = None) -> None:
        self.environment = html_widget(cls="cml-env")
        self.stop_button = button(
            "Stop", "cml-stop", self._on_stop, button_style="warning", icon="stop"
        )
        self.restart_button = button("Restart", "cml-restart", self._on_restart, icon="redo")
        super().__init__(deployment, cml, poller=poller)
        self.buttons.children = (self.stop_button, self.restart_button)

    def _rows(self) -> tuple[Any, ...]:
        return (
            self.header,
            self.stepper,
            self.times,
            self.environment,
            self.message,
            self.buttons,
        )

    def render_more(self, obj: Any, info: Phase) -> None:
        self.environment.value = environment_line(getattr(obj, "environment", None))
        final = info.activity is Activity.FINAL
        self.stop_button.disabled = final or obj.status == "stopping"
        self.stop_button.layout.display = "none" if final else None  # Restart still shows

    @reporting
    def _on_stop(self, _button: Any = None) -> None:
        self.stop_button.disabled = True
        self.render(self.controller.stop(self.obj))
        self.say("stop requested")
        self.follow()

    @reporting
    def _on_restart(self, _button: Any = None) -> None:
        self.render(self.controller.restart_deployment(self.obj))
        self.say("restart requested")
        self.follow()
