"""`%cml models predict` and the call shown by `%cml models show`, in a real IPython shell."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

WAIT = 60.0


def cml(ip: Any, line: str) -> Any:
    with capture_output():
        return ip.run_line_magic("cml", line)


@pytest.fixture(scope="module")
def served(magic_server: Any) -> Iterator[tuple[str, Any]]:
    """(project name, model): the python template's `predict` built and deployed."""
    from cml_magic.api import CML

    name = f"predict-magic-{uuid.uuid4().hex[:6]}"
    with CML(magic_server.url, magic_server.api_key, timeout=10.0) as client:
        project = client.projects.create(name, template="python")
        model = client.models.create("scorer", project=project.id)
        build = client.builds.create(model.id, "predict.py", "predict", project=project.id)
        assert client.wait_for_build(build, timeout=WAIT, poll_interval=0.05).succeeded
        deployment = client.deployments.create(build.id, model.id, project=project.id)
        assert client.wait_for_deployment(deployment, timeout=WAIT, poll_interval=0.05).succeeded
        yield name, model
        client.projects.delete(project.id)


@pytest.fixture
def ready(cml_ip: Any, served: tuple[str, Any]) -> Any:
    cml(cml_ip, f"use {served[0]}")
    return cml_ip


def test_predict_json_on_the_line(ready: Any) -> None:
    assert cml(ready, """models predict scorer '{"x": 2}'""") == {"prediction": 4.0}
    cml(ready, """models predict scorer '{"x": 5}' -o answer""")
    assert ready.user_ns["answer"] == {"prediction": 10.0}


def test_predict_input_dict_list_and_frame(ready: Any) -> None:
    ready.user_ns["one"] = {"x": 1}
    assert cml(ready, "models predict scorer -i one") == {"prediction": 2.0}
    ready.user_ns["many"] = [{"x": 1}, {"x": 2}, {"x": 3}]
    assert cml(ready, "models predict scorer -i many") == [
        {"prediction": 2.0},
        {"prediction": 4.0},
        {"prediction": 6.0},
    ]
    ready.user_ns["rows"] = pd.DataFrame({"x": [1, 4]}, index=["a", "b"])
    frame = cml(ready, "models predict scorer -i rows")
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.index) == ["a", "b"] and list(frame["prediction"]) == [2.0, 8.0]


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("models predict scorer", "no payload"),
        ("models predict scorer '{x: 1}'", "the payload is not JSON"),
        ("""models predict scorer {"x": 1}""", "quote it as one word"),
        ("models predict scorer -i nowhere", "no such variable"),
        ("models predict scorer -i text", "give a dict, a list of dicts or a DataFrame"),
        ("models predict scorer -i empty", "is empty"),
        ("models predict scorer -i odd", "(item 1) is not JSON"),
        ("""models predict scorer '{"x": 1}' -i many""", "not both"),
    ],
)
def test_bad_payloads_are_one_line(ready: Any, line: str, says: str) -> None:
    ready.user_ns.update(text="x", empty=[], odd=[{"x": 1}, {"x": object()}], many=[{}])
    with pytest.raises(UsageError) as failed:
        ready.run_line_magic("cml", line)
    assert says in str(failed.value) and "\n" not in str(failed.value)


def test_failed_call_is_one_line_without_keys(
    ready: Any, magic_server: Any, served: tuple[str, Any]
) -> None:
    with pytest.raises(UsageError) as failed:
        ready.run_line_magic("cml", """models predict scorer '{"x": "abc"}'""")
    text = str(failed.value)
    assert text.startswith("the model call failed: model scorer: ValueError")
    assert "500 from " + magic_server.url + "/model" in text and "\n" not in text
    assert served[1].access_key not in text and magic_server.api_key not in text


def test_model_endpoint_setting(ready: Any, magic_server: Any, monkeypatch: Any) -> None:
    ready.run_line_magic("config", "CMLMagics.model_endpoint = 'http://127.0.0.1:9/model'")
    with pytest.raises(UsageError, match=r"the model call failed: .*127\.0\.0\.1:9/model"):
        ready.run_line_magic("cml", """models predict scorer '{"x": 1}'""")
    ready.run_line_magic("config", f"CMLMagics.model_endpoint = '{magic_server.url}/model'")
    assert cml(ready, """models predict scorer '{"x": 1}'""") == {"prediction": 2.0}
    with capture_output() as shown:
        ready.run_line_magic("cml", "models show scorer")
    assert f"Endpoint: {magic_server.url}/model" in shown.stdout


def test_endpoint_from_the_environment(ready: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("CML_MAGIC_MODEL_ENDPOINT", "https://models.example.com/model")
    ready.run_line_magic("config", "CMLMagics.timeout = 10.0")  # a new client reads it
    with capture_output() as shown:
        ready.run_line_magic("cml", "models show scorer")
    assert "Endpoint: https://models.example.com/model" in shown.stdout


def test_show_prints_endpoint_and_masked_call(
    ready: Any, magic_server: Any, served: tuple[str, Any]
) -> None:
    key = served[1].access_key
    with capture_output() as shown:
        model = ready.run_line_magic("cml", "models show scorer")
    assert model.id == served[1].id
    assert f"Endpoint: {magic_server.url}/model" in shown.stdout
    assert """Call it:  %cml models predict scorer '{"x": 1}'""" in shown.stdout
    assert "curl -X POST" in shown.stdout and "requests.post(" in shown.stdout
    assert "****" + key[-4:] in shown.stdout and key not in shown.stdout
    assert magic_server.api_key not in shown.stdout
