"""The model panel: a project's models, a model's builds and deployments, Build and Deploy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from cml_magic.api.serving_objects import ModelBuild
from cml_magic.widgets.controller import ClientOrController, Controller, as_controller
from cml_magic.widgets.panels.common import project_picker
from cml_magic.widgets.parts import (
    Messages,
    button,
    calling,
    esc,
    grid,
    html_widget,
    status_badge,
)
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import phase
from cml_magic.widgets.timefmt import clock

if TYPE_CHECKING:
    from cml_magic.widgets.build_widget import BuildWidget
    from cml_magic.widgets.deployment_widget import DeploymentWidget


class ModelPanel(w.VBox):  # type: ignore[misc]
    """Pick a model to see its builds (Deploy on built ones) and deployments; the Build form
    starts a new build. New builds and deployments open as live widgets below."""

    def __init__(
        self, cml: ClientOrController, project: str | None = None, poller: Poller | None = None
    ) -> None:
        super().__init__()
        self.controller: Controller = as_controller(cml)
        self.poller = poller
        self.messages = Messages()
        self.picker = project_picker(self.controller, project, self.messages)
        self.picker.observe(lambda _c: self.load_models(), names="value")
        self.models = w.Select(options=[], rows=5, description="Model")
        self.models.add_class("cml-models")
        self.models.observe(lambda _c: self.show_model(), names="value")
        self.builds = w.VBox()
        self.builds.add_class("cml-builds")
        self.deployments = w.VBox()
        self.deployments.add_class("cml-deployments")
        self.file_path = w.Text(placeholder="predict.py", description="File")
        self.file_path.add_class("cml-build-file")
        self.function_name = w.Text(placeholder="predict", description="Function")
        self.function_name.add_class("cml-build-function")
        self.build_button = button(
            "Build", "cml-build", lambda _b: self.build(), button_style="primary", icon="cogs"
        )
        self.refresh_button = button("Refresh", "cml-refresh", lambda _b: self.show_model())
        self.live = w.VBox()
        self.live.add_class("cml-model-live")
        self.deploy_buttons: dict[str, w.Button] = {}
        self.live_widgets: list[BuildWidget | DeploymentWidget] = []
        self.add_class("cml-model-panel")
        self.children = (
            self.picker,
            w.HBox([self.models, self.refresh_button]),
            html_widget("<b>Builds</b>"),
            self.builds,
            html_widget("<b>Deployments</b>"),
            self.deployments,
            html_widget("<b>New build</b>"),
            w.HBox([self.file_path, self.function_name, self.build_button]),
            self.messages.widget,
            self.live,
        )
        self.load_models()

    @property
    def project(self) -> str | None:
        chosen: str | None = self.picker.value  # an id, None before a choice
        return chosen

    @property
    def model(self) -> str | None:
        chosen: str | None = self.models.value  # an id, None before a choice
        return chosen

    def load_models(self) -> None:
        """Reload the model list of the chosen project."""
        project = self.project
        if project is None:
            self.models.options = []
            return
        models = self.messages.run(lambda: self.controller.models(project)) or []
        self.models.options = [(m.name, m.id) for m in models]
        if models and self.models.value is None:
            self.models.value = models[0].id
        elif not models:
            self.messages.say("no models in this project")

    def show_model(self) -> None:
        """List the chosen model's builds and deployments."""
        self.deploy_buttons = {}
        model, project = self.model, self.project
        if model is None:
            self.builds.children = self.deployments.children = ()
            return
        builds = self.messages.run(lambda: self.controller.builds(model, project))
        deps = self.messages.run(lambda: self.controller.deployments(model, project))
        rows = []
        for b in builds or []:
            deploy = button("Deploy", "cml-build-deploy", calling(self.deploy, b))
            deploy.disabled = not phase("build", b.status).succeeded
            self.deploy_buttons[b.id] = deploy
            target = f"{b.file_path}:{b.function_name}"
            rows.append(
                [
                    f"<code>{esc(b.id)}</code>",
                    status_badge("build", b.status),
                    f"<code>{esc(target)}</code>",
                    clock(b.created_at),
                    deploy,
                ]
            )
        self.builds.children = (
            (grid(["build", "status", "function", "created", ""], rows, "cml-builds-table"),)
            if rows
            else (html_widget("<i>no builds yet</i>"),)
        )
        drows = [
            [
                f"<code>{esc(d.id)}</code>",
                f"<code>{esc(d.build_id)}</code>",
                status_badge("deployment", d.status),
                clock(d.created_at),
            ]
            for d in deps or []
        ]
        self.deployments.children = (
            (grid(["deployment", "build", "status", "created"], drows, "cml-deployments-table"),)
            if drows
            else (html_widget("<i>no deployments yet</i>"),)
        )

    def _show_live(self, widget: BuildWidget | DeploymentWidget) -> None:
        self.live_widgets.insert(0, widget)
        self.live.children = (widget, *self.live.children)

    def build(self) -> BuildWidget | None:
        """Start a build of the chosen model from the form; returns its live BuildWidget."""
        file_path, function = self.file_path.value.strip(), self.function_name.value.strip()
        if self.model is None:
            self.messages.say("choose a model first", error=True)
            return None
        if not file_path or not function:
            self.messages.say("give the file and the function to build", error=True)
            return None
        model, project = self.model, self.project
        build = self.messages.run(
            lambda: self.controller.create_build(model, file_path, function, project)
        )
        if build is None:
            return None
        from cml_magic.widgets.build_widget import BuildWidget

        widget = BuildWidget(build, self.controller, project=project, poller=self.poller)
        self._show_live(widget)
        self.messages.say(f"started build {build.id}")
        return widget

    def deploy(self, build: ModelBuild) -> DeploymentWidget | None:
        """Deploy a built build; returns the deployment's live widget."""
        project = self.project
        dep = self.messages.run(lambda: self.controller.deploy(build, project))
        if dep is None:
            return None
        from cml_magic.widgets.deployment_widget import DeploymentWidget

        widget = DeploymentWidget(dep, self.controller, poller=self.poller)
        self._show_live(widget)
        self.messages.say(f"started deployment {dep.id}")
        return widget
