"""The live widget of one model build, with Deploy once it is built."""

from __future__ import annotations

from typing import Any

from cml_magic.widgets.deployment_widget import DeploymentWidget
from cml_magic.widgets.live import LiveWidget, reporting
from cml_magic.widgets.parts import button, esc
from cml_magic.widgets.status import Phase


class BuildWidget(LiveWidget):
    """A model build, updated live; `deploy_button.click()` deploys it and shows the deployment."""

    def __init__(
        self, build: Any, cml: Any, project: str | None = None, poller: Any = None
    ) -> None:
        self.deployment: DeploymentWidget | None = None
        self.deploy_button = button(
            "Deploy", "cml-deploy", self._on_deploy, button_style="success", icon="rocket"
        )
        super().__init__(build, cml, project=project, poller=poller)
        self.buttons.children = (self.deploy_button,)

    @property
    def build(self) -> Any:
        """The ModelBuild as last seen: kept current while the widget is live."""
        return self.obj

    def subtitle(self, obj: Any) -> str:
        target = f"{getattr(obj, 'file_path', '')}:{getattr(obj, 'function_name', '')}"
        return f" of <code>{esc(target)}</code>" if target != ":" else ""

    def render_more(self, obj: Any, info: Phase) -> None:
        self.deploy_button.disabled = not info.succeeded or self.deployment is not None

    @reporting
    def _on_deploy(self, _button: Any = None) -> None:
        self.deploy_button.disabled = True
        self.say("deploying…")
        dep = self.controller.deploy(self.obj, self.project)
        # The model's deployment it replaces stops: its widgets show it now.
        self.controller.look_up_now(dep, self.poller, every_of_kind=True)
        self.deployment = DeploymentWidget(dep, self.controller, poller=self.poller)
        self.children = (*self.children, self.deployment)
        self.say(f"deployment {dep.id} created")
