"""The live widget of one model build, with Deploy once it is built."""

from __future__ import annotations

from cml_magic.api.serving_objects import ModelBuild
from cml_magic.widgets.controller import ClientOrController
from cml_magic.widgets.deployment_widget import DeploymentWidget
from cml_magic.widgets.live import LiveWidget, reporting
from cml_magic.widgets.parts import button, esc
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Phase


class BuildWidget(LiveWidget[ModelBuild]):
    """A model build, updated live; `deploy_button.click()` deploys it and shows the deployment."""

    def __init__(
        self,
        build: ModelBuild,
        cml: ClientOrController,
        project: str | None = None,
        poller: Poller | None = None,
    ) -> None:
        self.deployment: DeploymentWidget | None = None
        self.deploy_button = button(
            "Deploy", "cml-deploy", self._on_deploy, button_style="success", icon="rocket"
        )
        super().__init__(build, cml, project=project, poller=poller)
        self.buttons.children = (self.deploy_button,)

    def subtitle(self, obj: ModelBuild) -> str:
        target = f"{obj.file_path}:{obj.function_name}"
        return f" of <code>{esc(target)}</code>" if target != ":" else ""

    def render_more(self, obj: ModelBuild, info: Phase) -> None:
        self.deploy_button.disabled = not info.succeeded or self.deployment is not None

    @reporting
    def _on_deploy(self, _button: object = None) -> None:
        self.deploy_button.disabled = True
        self.say("deploying…")
        dep = self.controller.deploy(self.obj, self.project)
        self.deployment = DeploymentWidget(dep, self.controller, poller=self.poller)
        self.children = (*self.children, self.deployment)
        self.say(f"deployment {dep.id} created")
