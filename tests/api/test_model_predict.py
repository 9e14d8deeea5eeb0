"""`cml.models.predict`: calling a deployed model through the local server's model endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cml_magic.api import CML, Model, ModelCallError, Project
from cml_magic.api.config import default_model_endpoint, resolve
from cml_magic.local import LocalCML

WAIT = 60.0


@pytest.fixture(scope="module")
def client(local_cml: LocalCML) -> Iterator[CML]:
    """alice's client, the model endpoint set as the local server's."""
    cml = CML(local_cml.url, local_cml.api_key, model_endpoint=local_cml.model_endpoint)
    yield cml
    cml.close()


@pytest.fixture(scope="module")
def served(client: CML) -> Iterator[tuple[Project, Model]]:
    """A project from the python template with its `predict` model built and deployed."""
    project = client.projects.create(f"predict-{uuid.uuid4().hex[:8]}", template="python")
    model = client.models.create("scorer", project=project.id)
    build = client.builds.create(model.id, "predict.py", "predict", project=project.id)
    assert client.wait_for_build(build, timeout=WAIT, poll_interval=0.1).succeeded
    deployment = client.deployments.create(build.id, model.id, project=project.id)
    assert client.wait_for_deployment(deployment, timeout=WAIT, poll_interval=0.1).succeeded
    yield project, model
    client.projects.delete(project.id)


def test_predict_by_object_name_and_id(client: CML, served: tuple[Project, Model]) -> None:
    project, model = served
    assert client.models.predict(model, {"x": 3}) == {"prediction": 6.0}
    assert client.models.predict("scorer", {"x": 1}, project=project.id) == {"prediction": 2.0}
    assert client.models.predict(model.id, {"x": 0.5}, project=project.id) == {"prediction": 1.0}


def test_endpoint_is_a_setting(local_cml: LocalCML, client: CML) -> None:
    assert client.models.endpoint == local_cml.url + "/model"
    elsewhere = CML(local_cml.url, local_cml.api_key, model_endpoint="https://models.example/x/")
    assert elsewhere.model_endpoint == "https://models.example/x"
    env = {
        "CML_MAGIC_MODEL_ENDPOINT": "https://m.example/model",
        "CML_MAGIC_CONFIG": "/nonexistent",
    }
    settings = resolve(host="https://ml-1.example.com", api_key="k" * 20, env=env)
    assert settings.model_endpoint == "https://m.example/model"
    assert "model_endpoint='https://m.example/model'" in repr(settings)


def test_default_endpoint_follows_the_workspace_host() -> None:
    workspace = "https://ml-1a2b.env-x.cloudera.site"
    assert (
        default_model_endpoint(workspace)
        == "https://modelservice.ml-1a2b.env-x.cloudera.site/model"
    )
    assert (
        default_model_endpoint("ml.example.com/api/v2")
        == "https://modelservice.ml.example.com/model"
    )
    assert default_model_endpoint("http://127.0.0.1:8642") == "http://127.0.0.1:8642/model"
    assert default_model_endpoint("http://localhost:8642") == "http://localhost:8642/model"
    env = {"CML_MAGIC_CONFIG": "/nonexistent"}
    settings = resolve(host=workspace, api_key="k" * 20, env=env)
    assert settings.model_endpoint == "https://modelservice.ml-1a2b.env-x.cloudera.site/model"
    assert CML(workspace, "k" * 20).model_endpoint == settings.model_endpoint


def test_config_file_key(tmp_path: Path) -> None:

    config = tmp_path / "config.toml"
    config.write_text('model_endpoint = "https://file.example/model"\n')
    env = {"CML_MAGIC_CONFIG": str(config)}
    settings = resolve(host="https://ml.example.com", api_key="k" * 20, env=env)
    assert settings.model_endpoint == "https://file.example/model"
    given = resolve(
        host="https://ml.example.com", api_key="k" * 20, model_endpoint="https://arg/model", env=env
    )
    assert given.model_endpoint == "https://arg/model"


def test_failing_call_is_one_line_without_keys(
    local_cml: LocalCML, client: CML, served: tuple[Project, Model]
) -> None:
    project, model = served
    with pytest.raises(ModelCallError) as failed:
        client.models.predict(model, {"x": "not a number"})
    text = str(failed.value)
    assert "\n" not in text and failed.value.status == 500
    assert "ValueError" in text and "scorer" in text
    assert model.access_key not in text and local_cml.api_key not in text

    stranger = Model(id=model.id, name="gone", access_key="m" * 32)
    with pytest.raises(ModelCallError) as unknown:
        client.models.predict(stranger, {"x": 1})
    assert unknown.value.status == 404 and "m" * 32 not in str(unknown.value)
    assert "\n" not in str(unknown.value)


def test_another_users_key_is_refused(local_cml: LocalCML, served: tuple[Project, Model]) -> None:
    _, model = served
    with CML(local_cml.url, local_cml.keys["bob"]) as bob, pytest.raises(ModelCallError) as refused:
        bob.models.predict(model, {"x": 1})
    assert refused.value.status == 401 and local_cml.keys["bob"] not in str(refused.value)


def test_stopped_model_answers_one_line(client: CML, served: tuple[Project, Model]) -> None:
    project, _ = served
    other = client.models.create("idle", project=project.id)
    with pytest.raises(ModelCallError) as idle:
        client.models.predict(other, {"x": 1})
    assert idle.value.status == 503 and "no running deployment" in str(idle.value)


def test_call_examples_mask_the_access_key(client: CML, served: tuple[Project, Model]) -> None:
    _, model = served
    examples = client.models.call_examples(model)
    assert set(examples) == {"curl", "python"}
    for text in examples.values():
        assert client.model_endpoint in text
        assert model.access_key not in text and "****" + model.access_key[-4:] in text
        assert "CDSW_APIV2_KEY" in text
    assert model.access_key not in repr(model)


def test_success_false_is_an_error() -> None:
    from cml_magic.api.model_calls import response_of

    with pytest.raises(ModelCallError, match="model m: bad input"):
        response_of({"success": False, "message": "bad input"}, "m", "https://h/model")
    with pytest.raises(ModelCallError, match="not a model response"):
        response_of([1, 2], "m", "https://h/model")
    assert response_of({"success": True, "response": [1]}, "m", "https://h/model") == [1]


def test_the_endpoint_gets_its_own_proxy_rules(
    local_cml: LocalCML, served: tuple[Project, Model], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The API host (localhost) goes through a proxy that answers nothing; the model endpoint
    # (127.0.0.1) is exempt by NO_PROXY, and is reached directly.
    _, model = served
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    api_host = local_cml.url.replace("127.0.0.1", "localhost")
    with CML(api_host, local_cml.api_key, model_endpoint=local_cml.model_endpoint) as cml:
        assert cml.models.predict(model, {"x": 1}) == {"prediction": 2.0}
    monkeypatch.setenv("NO_PROXY", "localhost")
    proxied = CML(api_host, local_cml.api_key, model_endpoint=local_cml.model_endpoint)
    with proxied, pytest.raises(ModelCallError) as failed:
        proxied.models.predict(model, {"x": 1})
    assert "\n" not in str(failed.value) and failed.value.status is None


def test_a_payload_that_is_not_json_is_refused_before_sending(
    client: CML, served: tuple[Project, Model]
) -> None:
    _, model = served
    for payload in ({"x": {1, 2}}, {"x": float("nan")}):
        with pytest.raises(TypeError, match="the payload of a model call must be JSON"):
            client.models.predict(model, payload)
