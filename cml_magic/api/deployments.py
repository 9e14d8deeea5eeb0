"""`cml.deployments`: the deployments of a model's builds: list, get, create, stop, restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cml_magic.api import paths
from cml_magic.api.convert import set_fields
from cml_magic.api.errors import NotFoundError
from cml_magic.api.objects import Listing
from cml_magic.api.paging import as_received, iterate
from cml_magic.api.serving_objects import ModelDeployment

if TYPE_CHECKING:
    from cml_magic.api.client import CML


class Deployments:
    """Model deployments (CML has no delete for them: stop them)."""

    def __init__(self, cml: CML) -> None:
        self._cml = cml

    def _ids(self, model: str, project: str | None) -> tuple[str, str]:
        project_id = self._cml.projects.resolve(project)
        return project_id, self._cml.models.resolve(model, project_id)

    def _path(self, project_id: str, model_id: str, build_id: str) -> str:
        return f"{paths.build(project_id, model_id, build_id)}/deployments"

    def list(
        self,
        model: str,
        build: str | None = None,
        project: str | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[ModelDeployment]:
        """The deployments of one build of `model`, or of all its builds when `build` is None."""
        project_id, model_id = self._ids(model, project)
        if build:
            build_ids = [build]
        else:
            builds = self._cml.builds.iter(model_id, project_id)
            build_ids = [b.id for b in builds]
        found: list[dict[str, Any]] = []
        for build_id in build_ids:
            remaining = None if limit is None else limit - len(found)
            if remaining is not None and remaining <= 0:
                break
            found += iterate(
                self._cml.transport,
                self._path(project_id, model_id, build_id),
                "model_deployments",
                as_received,
                page_size=page_size,
                limit=remaining,
            )
        return Listing(ModelDeployment, found)

    def _build_of(self, deployment: str, project_id: str, model_id: str) -> str:
        for item in self.list(model_id, project=project_id):
            if item.id == deployment:
                return item.build_id
        raise NotFoundError(f"no deployment {deployment} of model {model_id}")

    def _one(
        self, verb: str, deployment: str, model: str, build: str | None, project: str | None
    ) -> ModelDeployment:
        project_id, model_id = self._ids(model, project)
        build_id = build or self._build_of(deployment, project_id, model_id)
        path = f"{self._path(project_id, model_id, build_id)}/{paths.seg(deployment)}{verb}"
        method = "GET" if not verb else "POST"
        return ModelDeployment.from_json(self._cml.transport.request(method, path))

    def get(
        self, deployment: str, model: str, build: str | None = None, project: str | None = None
    ) -> ModelDeployment:
        """One deployment (its build is looked up when not given)."""
        return self._one("", deployment, model, build, project)

    def refresh(self, deployment: ModelDeployment) -> ModelDeployment:
        """The deployment as it is now."""
        return self.get(
            deployment.id, deployment.model_id, deployment.build_id, deployment.project_id
        )

    def create(
        self,
        build: str,
        model: str,
        project: str | None = None,
        *,
        environment: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> ModelDeployment:
        """Deploy a build (`cpu=`, `memory=`, `nvidia_gpus=`, `replicas=`, ...). Sent once:
        a deployment that timed out at a gateway may still appear; list before trying again."""
        project_id, model_id = self._ids(model, project)
        body = {
            "project_id": project_id,
            "model_id": model_id,
            "build_id": build,
            "environment": dict(environment) if environment is not None else None,
            **fields,
        }
        answer = self._cml.transport.request(
            "POST", self._path(project_id, model_id, build), json_body=set_fields(body)
        )
        return ModelDeployment.from_json(answer)

    def stop(
        self, deployment: str, model: str, build: str | None = None, project: str | None = None
    ) -> ModelDeployment:
        """Stop a deployment (`:stop`)."""
        return self._one(":stop", deployment, model, build, project)

    def restart(
        self, deployment: str, model: str, build: str | None = None, project: str | None = None
    ) -> ModelDeployment:
        """Restart (or start a stopped) deployment (`:restart`)."""
        return self._one(":restart", deployment, model, build, project)
