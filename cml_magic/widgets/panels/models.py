"""The model panel: a project's models (and a new one), a model's builds and deployments,
Build and Deploy, Stop and Restart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    short_id,
    status_badge,
)
from cml_magic.widgets.poller import Poller
from cml_magic.widgets.status import Activity, phase
from cml_magic.widgets.timefmt import clock

if TYPE_CHECKING:
    from cml_magic.widgets.build_widget import BuildWidget
    from cml_magic.widgets.deployment_widget import DeploymentWidget


class ModelPanel(w.VBox):  # type: ignore[misc]
    """Pick a model (or create one) to see its builds (Deploy on built ones) and deployments
    (Stop, Restart); the Build form starts a new build. New builds and deployments open as
    live widgets below, and the tables are listed again as they change."""

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
        self.new_model = w.Text(placeholder="name of a new model", description="New model")
        self.new_model.add_class("cml-new-model")
        self.create_button = button(
            "Create model", "cml-create-model", lambda _b: self.create_model(), icon="plus"
        )
        self.stop_buttons: dict[str, w.Button] = {}
        self.restart_buttons: dict[str, w.Button] = {}
        self.live = w.VBox()
        self.live.add_class("cml-model-live")
        self.deploy_buttons: dict[str, w.Button] = {}
        self.live_widgets: list[BuildWidget | DeploymentWidget] = []
        self.add_class("cml-model-panel")
        self.children = (
            self.picker,
            w.HBox([self.models, self.refresh_button]),
            w.HBox([self.new_model, self.create_button]),
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

    def create_model(self) -> Any:
        """Create a model named as typed in the chosen project and choose it; returns it."""
        name, project = self.new_model.value.strip(), self.project
        if project is None:
            self.messages.say("choose a project first", error=True)
            return None
        if not name:
            self.messages.say("give the new model a name", error=True)
            return None
        model = self.messages.run(lambda: self.controller.create_model(name, project))
        if model is None:
            return None
        self.new_model.value = ""
        self.load_models()
        self.models.value = model.id
        self.messages.say(f"created model {model.name}")
        return model

    def show_model(self) -> None:
        """List the chosen model's builds and deployments."""
        # Built aside and swapped in whole: the poller's thread lists again as items change.
        deploy_buttons: dict[str, w.Button] = {}
        stop_buttons: dict[str, w.Button] = {}
        restart_buttons: dict[str, w.Button] = {}
        model, project = self.model, self.project
        if model is None:
            self.builds.children = self.deployments.children = ()
            self.deploy_buttons, self.stop_buttons, self.restart_buttons = {}, {}, {}
            return
        builds = self.messages.run(lambda: self.controller.builds(model, project))
        deps = self.messages.run(lambda: self.controller.deployments(model, project))
        rows = []
        for b in builds or []:
            deploy = button("Deploy", "cml-build-deploy", calling(self.deploy, b))
            deploy.disabled = not phase("build", b.status).succeeded
            deploy_buttons[b.id] = deploy
            deploy.layout.width = "auto"
            target = f"{b.file_path}:{b.function_name}"
            rows.append(
                [
                    short_id(b.id),
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
        drows = []
        for d in deps or []:
            stop = button("Stop", "cml-deployment-stop", calling(self.act, "stop", d))
            stop.disabled = phase("deployment", d.status).activity is Activity.FINAL
            restart = button("Restart", "cml-deployment-restart", calling(self.act, "restart", d))
            stop_buttons[d.id], restart_buttons[d.id] = stop, restart
            stop.layout.width = restart.layout.width = "auto"  # the table fits the notebook
            drows.append(
                [
                    short_id(d.id),
                    short_id(d.build_id),
                    status_badge("deployment", d.status),
                    clock(d.created_at),
                    w.HBox([stop, restart]),
                ]
            )
        headers = ["deployment", "build", "status", "created", ""]
        self.deployments.children = (
            (grid(headers, drows, "cml-deployments-table"),)
            if drows
            else (html_widget("<i>no deployments yet</i>"),)
        )
        self.deploy_buttons, self.stop_buttons = deploy_buttons, stop_buttons
        self.restart_buttons = restart_buttons

    def act(self, what: str, deployment: Any) -> Any:
        """Stop or restart a deployment of the table; lists the table again."""
        c = self.controller
        action = c.stop if what == "stop" else c.restart_deployment
        done = self.messages.run(lambda: action(deployment))
        if done is None:
            return None
        c.look_up_now(done, self._poller())  # its live widgets, if any, show it now
        from cml_magic.widgets.deployment_widget import DeploymentWidget

        for widget in self.live_widgets:
            # A stopped one is no longer watched: shown and followed again now.
            if isinstance(widget, DeploymentWidget) and widget.obj.id == done.id:
                widget.render(done)
                widget.follow()
        self.messages.say(f"{what} of deployment {deployment.id} requested ({done.status})")
        self.show_model()
        return done

    def _show_live(self, widget: BuildWidget | DeploymentWidget) -> None:
        self.live_widgets.insert(0, widget)
        self.live.children = (widget, *self.live.children)
        # The tables follow the live item: listed again at each change of its status.
        widget.status_html.observe(lambda _c: self._changed(widget), names="value")

    def _changed(self, widget: Any) -> None:
        # Called in the poller's thread: the listing waits its turn under the rate cap.
        if getattr(widget.obj, "model_id", None) == self.model:
            self._poller().later(self.show_model)

    def _poller(self) -> Any:
        from cml_magic.widgets.poller import get_poller

        return self.poller or get_poller()

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
        self.show_model()  # the new build is in the table at once
        self.messages.say(f"started build {build.id}")
        return widget

    def deploy(self, build: ModelBuild) -> DeploymentWidget | None:
        """Deploy a built build; returns the deployment's live widget."""
        project = self.project
        dep = self.messages.run(lambda: self.controller.deploy(build, project))
        if dep is None:
            return None
        from cml_magic.widgets.deployment_widget import DeploymentWidget

        # The deployment it replaces stops: its widgets show it now.
        self.controller.look_up_now(dep, self._poller(), every_of_kind=True)
        widget = DeploymentWidget(dep, self.controller, poller=self.poller)
        self._show_live(widget)
        self.show_model()
        self.messages.say(f"started deployment {dep.id}")
        return widget
