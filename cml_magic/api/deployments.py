"""`cml.deployments`: the deployments of a model's builds: list, get, create, stop, restart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cml_magic.api.collection import Collection
from cml_magic.api.errors import NotFoundError
from cml_magic.api.objects import Listing
from cml_magic.api.serving_objects import ModelDeployment


class Deployments(Collection[ModelDeployment]):
    """The deployments of a model, by id, under the model and one of its builds (looked up
    when not given). CML has no delete for them: stop them."""

    _item = ModelDeployment
    key = "model_deployments"
    segment = "deployments"
    parents = ("projects", "models", "builds")
    named = False

    def list(
        self,
        model: str,
        build: str | None = None,
        project: str | None = None,
        *,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Listing[ModelDeployment]:
        """The deployments of one build of `model`, or of all its builds when `build` is None."""
        ids = self._scope((model, build or ""), project)
        builds = [build] if build else [b.id for b in self._cml.builds.iter(ids[1], ids[0])]
        found: list[dict[str, Any]] = []
        for build_id in builds:
            remaining = None if limit is None else limit - len(found)
            if remaining is not None and remaining <= 0:
                break
            scope = (*ids[:2], build_id)
            found += self._json_pages(scope, {"page_size": page_size, "limit": remaining})
        return self._listing(found)

    def _scope_of(
        self, deployment: str, model: str, build: str | None, project: str | None
    ) -> tuple[str, ...]:
        """The parent ids of a deployment; its build, when not given, from the listing."""
        ids = self._scope((model, build or ""), project)
        if build:
            return ids
        for item in self.list(ids[1], project=ids[0]):
            if item.id == deployment:
                return (*ids[:2], item.build_id)
        raise NotFoundError(f"no deployment {deployment} of model {ids[1]}")

    def _ids_of(self, item: ModelDeployment, project: str | None = None) -> tuple[str, ...]:
        ids = super()._ids_of(item, project)
        return ids if ids[2] else self._scope_of(item.id, ids[1], None, ids[0])

    def refresh(self, deployment: ModelDeployment) -> ModelDeployment:
        """The deployment as it is now."""
        return self._refresh(deployment)

    def get(
        self, deployment: str, model: str, build: str | None = None, project: str | None = None
    ) -> ModelDeployment:
        """One deployment (its build is looked up when not given)."""
        return self._call("GET", self._scope_of(deployment, model, build, project), deployment)

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
        ids = self._scope((model, build), project)
        body = {
            "project_id": ids[0],
            "model_id": ids[1],
            "build_id": build,
            "environment": dict(environment) if environment is not None else None,
            **fields,
        }
        return self._create(ids, body)

    def stop(
        self, deployment: str, model: str, build: str | None = None, project: str | None = None
    ) -> ModelDeployment:
        """Stop a deployment (`:stop`)."""
        scope = self._scope_of(deployment, model, build, project)
        return self._call("POST", scope, deployment, ":stop")

    def restart(
        self, deployment: str, model: str, build: str | None = None, project: str | None = None
    ) -> ModelDeployment:
        """Restart (or start a stopped) deployment (`:restart`)."""
        scope = self._scope_of(deployment, model, build, project)
        return self._call("POST", scope, deployment, ":restart")
