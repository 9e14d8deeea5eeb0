"""Build and deployment widgets, the model panel and the applications panel against the local
CML server: real builds, real model workers, real application processes."""

from __future__ import annotations

import contextlib
import re
import uuid

import pytest
from support.waits import wait_for

from cml_magic.widgets.build_widget import BuildWidget
from cml_magic.widgets.deployment_widget import DeploymentWidget
from cml_magic.widgets.panels.apps import AppsPanel
from cml_magic.widgets.panels.models import ModelPanel

PROJECT = "risk-analysis"


@pytest.fixture
def model(cml):
    return cml.models.create(f"widget-model-{uuid.uuid4().hex[:8]}", project=PROJECT)


def stop_quietly(action) -> None:
    with contextlib.suppress(Exception):
        action()


def test_build_widget_follows_the_build_and_deploys_it(cml, poller, model):
    build = cml.builds.create(model.id, "predict.py", "predict", project=PROJECT)
    widget = BuildWidget(build, cml, project=PROJECT, poller=poller)
    assert widget.deploy_button.disabled  # nothing to deploy before it is built
    wait_for(lambda: widget.status == "built", timeout=30, what="build to finish")
    assert "built" in widget.status_html.value
    assert not widget.deploy_button.disabled
    assert f"/models/{model.id}" in widget.title.value
    widget.deploy_button.click()
    dep = widget.deployment
    assert isinstance(dep, DeploymentWidget) and dep in widget.children
    assert widget.deploy_button.disabled  # one deployment per click
    try:
        wait_for(lambda: dep.status == "deployed", timeout=30, what="deployment")
        assert poller.running  # a serving deployment stays watched, rarely
        dep.stop_button.click()
        wait_for(
            lambda: dep.status == "stopped",
            timeout=30,
            what="deployment to stop",
            show=lambda: (dep.status, dep.message.value),
        )
        wait_for(lambda: not poller.running, what="poller to end")
        assert dep.stop_button.layout.display == "none"  # stopped: only Restart is left
        assert dep.restart_button.layout.display is None
        dep.restart_button.click()
        wait_for(lambda: dep.status == "deployed", timeout=30, what="deployment restarted")
        assert dep.stop_button.layout.display is None
    finally:
        stop_quietly(lambda: cml.deployments.stop(dep.obj.id, model.id, project=PROJECT))
        widget.close()


def test_failed_build_is_red_and_cannot_be_deployed(cml, poller, model):
    # A missing function is refused when the build is made; code failing on import fails it.
    broken = "raise RuntimeError('cannot load')\n\ndef predict(args):\n    return args\n"
    cml.files.upload("broken_model.py", broken, project=PROJECT)
    build = cml.builds.create(model.id, "broken_model.py", "predict", project=PROJECT)
    widget = BuildWidget(build, cml, project=PROJECT, poller=poller)
    wait_for(lambda: widget.status == "build failed", timeout=30)
    assert "#cf222e" in widget.status_html.value  # red
    assert widget.deploy_button.disabled
    assert widget.deploy_button.layout.display == "none"  # never deployable: no faded button
    # It says why: the end of the build's log, as a run widget shows its output.
    wait_for(lambda: "cannot load" in widget.log_tail.value, timeout=30, what="the build's log")
    assert "RuntimeError" in widget.log_tail.value


def test_a_failed_builds_log_is_masked(cml, poller, model):
    # A model file that prints a secret value on import; the log shows it masked.
    leaky = (
        "print('DB_PASSWORD=hunter2-secret')\n"
        "raise RuntimeError('no model today')\n\ndef predict(args):\n    return args\n"
    )
    cml.files.upload("leaky_model.py", leaky, project=PROJECT)
    build = cml.builds.create(model.id, "leaky_model.py", "predict", project=PROJECT)
    widget = BuildWidget(build, cml, project=PROJECT, poller=poller)
    wait_for(lambda: "no model today" in widget.log_tail.value, timeout=30, what="the build's log")
    assert "hunter2-secret" not in widget.log_tail.value


def test_the_build_stepper_says_what_the_pill_says():
    from cml_magic.widgets.parts import stepper
    from cml_magic.widgets.status import phase

    for status in ("pending", "queued", "building", "pushing"):
        info = phase("build", status)
        current = stepper("build", info).split("●")[1].split("<")[0].strip()
        assert current == info.label, status  # the highlighted step is the pill's word


def test_failed_build_says_when_it_ended(cml, poller, model):
    broken = "raise RuntimeError('cannot load')\n\ndef predict(args):\n    return args\n"
    cml.files.upload("broken_model.py", broken, project=PROJECT)
    build = cml.builds.create(model.id, "broken_model.py", "predict", project=PROJECT)
    widget = BuildWidget(build, cml, project=PROJECT, poller=poller)
    wait_for(lambda: widget.status == "build failed", timeout=30)
    assert widget.obj.built_at is None  # CML sets it only on success
    when = r"ended (\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d)"  # today, or a date
    assert re.search(when, widget.times.value), widget.times.value
    assert "–" not in widget.times.value


def test_model_panel_builds_and_deploys(cml, poller, model):
    panel = ModelPanel(cml, project=PROJECT, poller=poller)
    panel.models.value = model.id
    assert "no builds yet" in panel.builds.children[0].value
    panel.build_button.click()
    assert "give the file and the function" in panel.messages.widget.value
    panel.file_path.value, panel.function_name.value = "predict.py", "predict"
    panel.build_button.click()
    live = panel.live_widgets[0]
    assert isinstance(live, BuildWidget)
    wait_for(lambda: live.status == "built", timeout=30)
    panel.refresh_button.click()
    deploy = panel.deploy_buttons[live.obj.id]
    assert not deploy.disabled
    deploy.click()
    dep = panel.live_widgets[0]
    assert isinstance(dep, DeploymentWidget)
    try:
        wait_for(lambda: dep.status == "deployed", timeout=30)
        panel.refresh_button.click()
        table = panel.deployments.children[0]
        assert any(dep.obj.id in getattr(c, "value", "") for c in table.children)
    finally:
        stop_quietly(lambda: cml.deployments.stop(dep.obj.id, model.id, project=PROJECT))
        panel.close()


def _builds_table_text(panel) -> str:
    table = panel.builds.children[0]
    return " ".join(getattr(c, "value", "") for c in getattr(table, "children", (table,)))


def test_model_panel_creates_a_model_follows_its_build_and_stops_and_restarts(cml, poller):
    panel = ModelPanel(cml, project=PROJECT, poller=poller)
    panel.create_button.click()
    assert "give the new model a name" in panel.messages.widget.value
    name = f"panel-model-{uuid.uuid4().hex[:8]}"
    panel.new_model.value = name
    panel.create_button.click()
    created = {m.name: m for m in cml.models.list(project=PROJECT)}[name]
    assert panel.models.value == created.id  # the new model is chosen
    dep = None
    try:
        panel.file_path.value, panel.function_name.value = "predict.py", "predict"
        panel.build_button.click()
        live = panel.live_widgets[0]
        assert live.obj.id in _builds_table_text(panel)  # listed at once
        # The table follows the build with no click on Refresh.
        wait_for(lambda: live.status == "built", timeout=30)
        wait_for(
            lambda: ">built<" in _builds_table_text(panel),
            timeout=30,
            what="the builds table to show the build built",
            show=lambda: _builds_table_text(panel),
        )
        panel.deploy_buttons[live.obj.id].click()
        dep = panel.live_widgets[0]
        wait_for(lambda: dep.status == "deployed", timeout=30)
        wait_for(lambda: dep.obj.id in panel.stop_buttons, timeout=30, what="the row")
        panel.stop_buttons[dep.obj.id].click()
        wait_for(lambda: dep.status == "stopped", timeout=30, what="the live widget to stop")
        wait_for(
            lambda: panel.stop_buttons[dep.obj.id].disabled,
            timeout=30,
            what="the row's Stop to be disabled once stopped",
        )
        panel.restart_buttons[dep.obj.id].click()
        wait_for(lambda: dep.status == "deployed", timeout=30, what="the restart")
    finally:
        if dep is not None:
            stop_quietly(lambda: cml.deployments.stop(dep.obj.id, created.id, project=PROJECT))
        panel.close()


def test_apps_panel_shows_live_status_and_restarts_and_stops(cml, poller):
    name = f"widget-app-{uuid.uuid4().hex[:6]}"
    app = cml.applications.create(name, "app.py", name, project=PROJECT)
    try:
        panel = AppsPanel(cml, project=PROJECT, poller=poller)
        row = panel.rows[name]
        wait_for(lambda: "running" in row.status.value, timeout=30, what="app running")
        row.stop.click()
        wait_for(lambda: "stopped" in row.status.value, timeout=30, what="app stopped")
        assert row.stop.disabled
        assert row.stop.layout.visibility == "hidden"  # keeps its grid cell, shows no button
        row.restart.click()
        wait_for(lambda: "running" in row.status.value, timeout=30, what="app restarted")
        assert row.stop.layout.visibility is None
        panel.close()
        wait_for(lambda: not poller.running)
    finally:
        stop_quietly(lambda: cml.applications.stop(app.id, project=PROJECT))


def test_text_progress_of_a_deployment_ends_once_it_serves(cml, poller, model, capsys):
    from cml_magic import widgets

    build = cml.wait_for_build(
        cml.builds.create(model.id, "predict.py", "predict", project=PROJECT),
        timeout=30,
        poll_interval=0.05,
    )
    dep = cml.deployments.create(build.id, model.id, project=PROJECT)
    try:
        progress = widgets.watch(dep, cml, poller=poller)
        assert progress.wait(timeout=30).status == "deployed"
        wait_for(lambda: not poller.running, what="text progress to stop watching")
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines[-1].startswith(f"[cml] model deployment {dep.id}: deployed")
        assert f"/models/{model.id}" in lines[-1]
    finally:
        stop_quietly(lambda: cml.deployments.stop(dep.id, model.id, project=PROJECT))


def test_deployment_widget_shows_the_endpoint_and_a_masked_call(cml, poller, model):
    build = cml.builds.create(model.id, "predict.py", "predict", project=PROJECT)
    assert cml.wait_for_build(build, timeout=30, poll_interval=0.05).succeeded
    deployment = cml.deployments.create(build.id, model.id, project=PROJECT)
    widget = DeploymentWidget(deployment, cml, poller=poller)
    try:
        shown = widget.call.value
        assert widget.call in widget.children
        assert f"<code>{cml.model_endpoint}</code>" in shown
        assert "curl -X POST" in shown and "requests.post(" in shown
        assert "****" + model.access_key[-4:] in shown and model.access_key not in shown
        wait_for(lambda: widget.status == "deployed", timeout=30, what="deployment")
        assert cml.models.predict(model, {"x": 2}) == {"prediction": 4.0}
    finally:
        stop_quietly(lambda: cml.deployments.stop(deployment.id, model.id, project=PROJECT))
        widget.close()
