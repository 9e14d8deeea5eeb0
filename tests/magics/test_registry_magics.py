"""`%cml registry ...` in a real IPython shell: listing models and versions as DataFrames,
registering a build or a file, showing, deleting, deploying a version and calling it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from cml_magic import frames

WAIT = 60.0


def cml(ip: Any, line: str) -> Any:
    with capture_output():
        return ip.run_line_magic("cml", line)


def printed(ip: Any, line: str) -> tuple[Any, str]:
    with capture_output() as out:
        result = ip.run_line_magic("cml", line)
    return result, out.stdout


@pytest.fixture(scope="module")
def built(magic_server: Any) -> Iterator[tuple[str, str, str]]:
    """(project name, model name, build id): the python template's `predict`, built."""
    from cml_magic.api import CML

    name = f"registry-magic-{uuid.uuid4().hex[:6]}"
    with CML(magic_server.url, magic_server.api_key, timeout=10.0) as client:
        project = client.projects.create(name, template="python")
        model = client.models.create("scorer", project=project.id)
        build = client.builds.create(model.id, "predict.py", "predict", project=project.id)
        assert client.wait_for_build(build, timeout=WAIT, poll_interval=0.05).succeeded
        yield name, model.name, build.id
        for found in client.registry.list(search=name):
            client.registry.delete(found)
        client.projects.delete(project.id)


@pytest.fixture
def ready(cml_ip: Any, built: tuple[str, str, str]) -> Any:
    cml(cml_ip, f"use {built[0]}")
    return cml_ip


def test_register_list_show_versions_and_delete(
    ready: Any, built: tuple[str, str, str], api: Any
) -> None:
    project, model, build = built
    name = f"{project}-churn"
    version, out = printed(
        ready, f"registry register {name} --build {build} --model {model} --tag stage=dev"
    )
    assert version.number == 1 and version.build_id == build and version.tags["stage"] == "dev"
    assert f"Registered {name} version 1" in out
    second = cml(ready, f"registry register {name} --path predict.py --notes 'from the file'")
    assert (second.number, second.notes) == (2, "from the file")

    listed = cml(ready, f"registry list --search {name} -o models")
    assert isinstance(listed, pd.DataFrame) and ready.user_ns["models"] is listed
    assert list(listed.columns) == list(frames.COLUMNS["registered model"])
    assert listed["name"].tolist() == [name] and listed["count"].tolist() == [2]
    versions = cml(ready, f"registry versions {name}")
    assert list(versions.columns) == list(frames.COLUMNS["model version"])
    assert versions["number"].tolist() == [1, 2] and versions["number"].dtype == "int64"
    assert versions["user"].tolist() == ["alice", "alice"]

    shown = cml(ready, f"registry show {name}")
    assert shown.name == name and [v.number for v in shown.versions] == [1, 2]
    assert cml(ready, f"registry show {name} --version v2").notes == "from the file"
    assert cml(ready, f"registry show {shown.id} --version {version.id}").number == 1

    _, out = printed(ready, f"registry delete {name} --version 1")
    assert "Deleted version 1" in out
    assert [v.number for v in api.registry.versions(name)] == [2]
    _, out = printed(ready, f"registry delete {name}")
    assert f"Deleted registered model {name}" in out
    assert list(api.registry.list(search=name)) == []


def test_deploy_a_version_and_call_it(ready: Any, built: tuple[str, str, str]) -> None:
    project, model, build = built
    name = f"{project}-served"
    cml(ready, f"registry register {name} --build {build} --model {model}")
    deployment = cml(ready, f"registry deploy {name} --name {name}-model --wait --timeout 60")
    assert deployment.status == "deployed"
    assert cml(ready, f"""models predict {name}-model '{{"x": 4}}'""") == {"prediction": 8.0}
    cml(ready, f"deployments stop {deployment.id} --model {name}-model")


def test_mistakes_are_one_line_errors(ready: Any, built: tuple[str, str, str]) -> None:
    project, model, build = built
    name = f"{project}-typo"
    cml(ready, f"registry register {name} --path predict.py")
    with pytest.raises(UsageError, match=f"did you mean {name}"):
        cml(ready, f"registry show {name}x")
    with pytest.raises(UsageError, match="say what to register"):
        cml(ready, f"registry register {name}")
    with pytest.raises(UsageError, match="needs the build's model"):
        cml(ready, f"registry register {name} --build {build}")
    with pytest.raises(UsageError, match="--experiment, --run and --path"):
        cml(ready, f"registry register {name} --run r1")
    with pytest.raises(UsageError, match="KEY=VALUE"):
        cml(ready, f"registry register {name} --path predict.py --tag novalue")
    with pytest.raises(UsageError, match="model_path 'no-such-file.py' not found"):
        cml(ready, f"registry register {name} --path no-such-file.py")
    with pytest.raises(UsageError, match=f"registered model {name} has no version 9"):
        cml(ready, f"registry show {name} --version 9")
    cml(ready, f"registry delete {name} --version 1")
    with pytest.raises(UsageError, match=f"registered model {name} has no version$"):
        cml(ready, f"registry deploy {name}")
    with pytest.raises(UsageError) as caught:
        cml(ready, f"registry register {name} --path predict.py --public --notes x --foo")
    assert "--foo" in str(caught.value) and "\n" not in str(caught.value)


def test_registered_model_names_seen_are_completed(ip: Any, magics: Any) -> None:
    from IPython.core.completer import provisionalcompleter

    from cml_magic.api.registry_objects import RegisteredModel

    magics.names.remember(
        [
            RegisteredModel.from_json({"model_id": f"r{i}", "name": n})
            for i, n in enumerate(("churn-scorer", "churn-v2", "fraud"))
        ]
    )
    line = "%cml registry show chu"
    with provisionalcompleter():
        offered = [c.text for c in ip.Completer.completions(line, len(line))]
    assert offered == ["churn-scorer", "churn-v2"]
