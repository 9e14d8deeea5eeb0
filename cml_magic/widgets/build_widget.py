"""The live widget of one model build: the log's tail when it fails, Deploy once it is built."""

from __future__ import annotations

from typing import Any

from cml_magic.api.masking import mask_text
from cml_magic.api.serving_objects import ModelBuild
from cml_magic.widgets.controller import ClientOrController
from cml_magic.widgets.deployment_widget import DeploymentWidget
from cml_magic.widgets.live import LiveWidget, reporting
from cml_magic.widgets.parts import MUTED, button, esc, html_widget
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Activity, Phase

LOG_LINES = 20  # lines of a failed build's log shown
TAIL_CHARS = 64_000  # only the end of a big log is split into lines


class BuildWidget(LiveWidget[ModelBuild]):
    """A model build, updated live; `deploy_button.click()` deploys it and shows the deployment.

    When the build fails, the end of its log (why it failed) is shown, masked.
    """

    def __init__(
        self,
        build: ModelBuild,
        cml: ClientOrController,
        project: str | None = None,
        poller: Poller | None = None,
    ) -> None:
        self.deployment: DeploymentWidget | None = None
        self._log_asked = False
        self.log_tail = html_widget(cls="cml-output")
        # Blue: white on JupyterLab's green "success" is 4.1:1.
        self.deploy_button = button(
            "Deploy", "cml-deploy", self._on_deploy, button_style="primary", icon="rocket"
        )
        super().__init__(build, cml, project=project, poller=poller)
        self.buttons.children = (self.deploy_button,)

    @property
    def build(self) -> ModelBuild:
        """The ModelBuild as last seen: kept current while the widget is live."""
        return self.obj

    def _rows(self) -> tuple[Any, ...]:
        return (self.header, self.stepper, self.times, self.log_tail, self.message, self.buttons)

    def subtitle(self, obj: ModelBuild) -> str:
        target = f"{obj.file_path}:{obj.function_name}"
        return f" of <code>{esc(target)}</code>" if target != ":" else ""

    def render_more(self, obj: ModelBuild, info: Phase) -> None:
        self.deploy_button.disabled = not info.succeeded or self.deployment is not None
        failed = info.activity is Activity.FINAL and not info.succeeded
        self.deploy_button.layout.display = "none" if failed else None  # never deployable
        if failed and not self._log_asked:
            self._log_asked = True  # a finished build's log does not change: fetched once
            self.poller.later(self._fetch_log)

    def _fetch_log(self) -> None:
        if self._closed:
            return
        try:
            text = self.controller.build_log(self.obj, self.project)
        except Exception:
            return  # the log is a nicety; the status is shown
        self.set_log(text)

    def set_log(self, text: str | None) -> None:
        """Show the last lines of the build's log, masked (keys, secret values)."""
        if text is None:
            self.log_tail.value = (
                f'<span style="color:{MUTED}">no build log available through the API</span>'
            )
            return
        lines = text[-TAIL_CHARS:].rstrip("\n").splitlines()[-LOG_LINES:]
        tail = mask_text("\n".join(lines))
        self.log_tail.value = (
            '<pre style="max-height:16em;overflow:auto;margin:2px 0;padding:4px;'
            "background:var(--jp-layout-color2,#f6f8fa);"
            f'color:var(--jp-content-font-color1,#24292f);font-size:85%">{esc(tail)}</pre>'
        )

    @reporting
    def _on_deploy(self, _button: object = None) -> None:
        self.deploy_button.disabled = True
        self.say("deploying…")
        dep = self.controller.deploy(self.obj, self.project)
        # The model's deployment it replaces stops: its widgets show it now.
        self.controller.look_up_now(dep, self.poller, every_of_kind=True)
        self.deployment = DeploymentWidget(dep, self.controller, poller=self.poller)
        self.children = (*self.children, self.deployment)
        self.say(f"deployment {dep.id} created")
