"""`cml.models`: list, get, create, update and delete the models of a project, and call a
deployed one (`predict`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cml_magic.api import model_calls
from cml_magic.api.collection import CrossProjectCollection
from cml_magic.api.errors import CMLError, ConfigError, ModelCallError
from cml_magic.api.masking import mask_text
from cml_magic.api.serving_objects import Model

if TYPE_CHECKING:
    from cml_magic.api.registry_objects import RegisteredModel


class Models(CrossProjectCollection[Model]):
    """The models of a project, or of every project (`list_in_all_projects`); build them with
    `cml.builds`, serve them with `cml.deployments`. A model is an id (a UUID) or a name."""

    _item = Model
    key = segment = "models"

    def create(
        self,
        name: str,
        project: str | None = None,
        description: str | None = None,
        *,
        registered_model: RegisteredModel | str | None = None,
        **fields: Any,
    ) -> Model:
        """Create a model (`CreateModelRequest` fields as keywords, e.g. `description=`).

        `registered_model` (a `RegisteredModel`, or its id or name) makes it a model of the
        registry (`registered_model_id`): build it from one of its versions with
        `cml.builds.create(model, registered_model_version=...)`."""
        ids = self._scope((), project)
        if registered_model is not None:
            fields["registered_model_id"] = self._cml.registry.resolve(registered_model)
        body = {"project_id": ids[0], "name": name, "description": description, **fields}
        return self._create(ids, body)

    @property
    def endpoint(self) -> str:
        """Where the workspace serves its models (`CML.model_endpoint`)."""
        return self._cml.model_endpoint

    def predict(self, model: Model | str, payload: Any, project: str | None = None) -> Any:
        """Call a deployed model with `payload` (anything JSON: usually a dict) and answer
        its result (the `response` of CML's answer).

        `model` is a `Model` (its `access_key` is used as it is) or a model name or id, looked
        up in `project`. The call is `POST <endpoint>` with `{"accessKey": ..., "request":
        payload}` and this client's API key as Bearer. A non-2xx answer, `success: false` or
        no answer at all raise `ModelCallError` (one line; no key in it); a payload that is not
        JSON raises `TypeError` before anything is sent."""
        model_calls.check_payload(payload)
        if not isinstance(model, Model) or not model.access_key:
            if isinstance(model, Model):
                model = self.get(model.id, project=project or model.project_id or None)
            else:
                model = self.get(model, project=project)
        if not model.access_key:
            raise ModelCallError(f"model {model.name or model.id} has no access key")
        endpoint = self.endpoint
        try:
            answer = self._cml.transport.request(
                "POST", endpoint, json_body=model_calls.request_body(model.access_key, payload)
            )
        except (ConfigError, ModelCallError):
            raise
        except CMLError as exc:
            raise ModelCallError(
                mask_text(f"model {model.name or model.id}: {exc.message}", (model.access_key,)),
                status=exc.status,
                method="POST",
                path=endpoint,
            ) from None
        return model_calls.response_of(answer, model.name or model.id, endpoint)

    def call_examples(self, model: Model, payload: Any = None) -> dict[str, str]:
        """Ready-to-copy calls of `model` (`curl` and `python`), its access key masked."""
        return {
            "curl": model_calls.curl_example(self.endpoint, model.access_key, payload),
            "python": model_calls.python_example(self.endpoint, model.access_key, payload),
        }
