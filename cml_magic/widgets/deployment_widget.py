"""The live widget of one model deployment, with Stop and Restart, and how to call it."""

from __future__ import annotations

import ipywidgets as w

from cml_magic.api.serving_objects import ModelDeployment
from cml_magic.widgets.controller import ClientOrController
from cml_magic.widgets.live import LiveWidget, reporting
from cml_magic.widgets.parts import button, environment_line, esc, html_widget
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Activity, Phase


class DeploymentWidget(LiveWidget[ModelDeployment]):
    """A model deployment, updated live (rarely once deployed); Stop and Restart buttons."""

    def __init__(
        self, deployment: ModelDeployment, cml: ClientOrController, poller: Poller | None = None
    ) -> None:
        self.environment = html_widget(cls="cml-env")
        self.call = html_widget(cls="cml-call")
        # Red, not JupyterLab's orange "warning", whose white label is 2.7:1.
        self.stop_button = button(
            "Stop", "cml-stop", self._on_stop, button_style="danger", icon="stop"
        )
        self.restart_button = button("Restart", "cml-restart", self._on_restart, icon="redo")
        super().__init__(deployment, cml, poller=poller)
        self.buttons.children = (self.stop_button, self.restart_button)
        self.call.value = call_html(self.controller.model_call(deployment))

    @property
    def deployment(self) -> ModelDeployment:
        """The ModelDeployment as last seen: kept current while the widget is live."""
        return self.obj

    def _rows(self) -> tuple[w.Widget, ...]:
        return (
            self.header,
            self.stepper,
            self.times,
            self.environment,
            self.call,
            self.message,
            self.buttons,
        )

    def render_more(self, obj: ModelDeployment, info: Phase) -> None:
        self.environment.value = environment_line(obj.environment)
        final = info.activity is Activity.FINAL
        self.stop_button.disabled = final or obj.status == "stopping"
        self.stop_button.layout.display = "none" if final else None  # Restart still shows

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


def call_html(call: tuple[str, dict[str, str]] | None) -> str:
    """The model's endpoint, and a `curl` and a Python call to copy (the access key masked)."""
    if call is None:
        return ""
    endpoint, examples = call
    blocks = "".join(
        f'<div>{esc(name)}:</div><pre style="margin:2px 0;white-space:pre-wrap">{esc(text)}</pre>'
        for name, text in (("curl", examples["curl"]), ("Python", examples["python"]))
    )
    return (
        f"<details><summary>endpoint <code>{esc(endpoint)}</code> · how to call it</summary>"
        f"{blocks}</details>"
    )
