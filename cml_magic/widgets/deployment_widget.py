"""The live widget of one model deployment, with Stop and Restart."""

from __future__ import annotations

import ipywidgets as w

from cml_magic.api.serving_objects import ModelDeployment
from cml_magic.widgets.controller import ClientOrController
from cml_magic.widgets.live import LiveWidget, reporting
from cml_magic.widgets.parts import button, environment_line, html_widget
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Activity, Phase


class DeploymentWidget(LiveWidget[ModelDeployment]):
    """A model deployment, updated live (rarely once deployed); Stop and Restart buttons."""

    def __init__(
        self, deployment: ModelDeployment, cml: ClientOrController, poller: Poller | None = None
    ) -> None:
        self.environment = html_widget(cls="cml-env")
        self.stop_button = button(
            "Stop", "cml-stop", self._on_stop, button_style="warning", icon="stop"
        )
        self.restart_button = button("Restart", "cml-restart", self._on_restart, icon="redo")
        super().__init__(deployment, cml, poller=poller)
        self.buttons.children = (self.stop_button, self.restart_button)

    def _rows(self) -> tuple[w.Widget, ...]:
        return (
            self.header,
            self.stepper,
            self.times,
            self.environment,
            self.message,
            self.buttons,
        )

    def render_more(self, obj: ModelDeployment, info: Phase) -> None:
        self.environment.value = environment_line(obj.environment)
        self.stop_button.disabled = info.activity is Activity.FINAL or obj.status == "stopping"

    @reporting
    def _on_stop(self, _button: object = None) -> None:
        self.stop_button.disabled = True
        self.render(self.controller.stop(self.obj))
        self.say("stop requested")
        self.follow()

    @reporting
    def _on_restart(self, _button: object = None) -> None:
        self.render(self.controller.restart_deployment(self.obj))
        self.say("restart requested")
        self.follow()
