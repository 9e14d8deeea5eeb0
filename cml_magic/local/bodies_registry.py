"""Request bodies of the model registry (snake_case proto names, as `bodies`): registering,
updating a registered model, updating a version. Unknown fields are ignored, wrong types and
an unknown visibility are a 400."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cml_magic.local import validate
from cml_magic.local.bodies import Body, Name, ProjectPath

VISIBILITIES = ("PRIVATE", "PUBLIC")
MAX_TAGS = 100


class Tag(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key: Annotated[str, Field(max_length=validate.NAME_MAX)] = ""
    value: str = ""


def _visibility(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    if value.upper() not in VISIBILITIES:
        raise ValueError(f"visibility must be PRIVATE or PUBLIC, not {validate.quote(value)}")
    return value.upper()


def _tags(value: list[Tag] | None) -> list[Tag] | None:
    if value is not None:
        if len(value) > MAX_TAGS:
            raise ValueError(f"at most {MAX_TAGS} tags")
        if any(not tag.key.strip() for tag in value):
            raise ValueError("every tag needs a key")
    return value


class CreateRegisteredModel(Body):
    project_id: str = ""
    experiment_id: Name = ""
    run_id: Name = ""
    model_path: ProjectPath = ""
    model_name: Name = ""
    tags: list[Tag] = []
    description: str = ""
    notes: str = ""
    visibility: str = ""

    _visible = field_validator("visibility")(_visibility)
    _tagged = field_validator("tags")(_tags)


class UpdateRegisteredModel(Body):
    model_id: Name = ""
    description: str | None = None
    visibility: str | None = None
    user_id: str | None = None  # taken and not acted on: this server has no owner change

    _visible = field_validator("visibility")(_visibility)


class UpdateRegisteredModelVersion(Body):
    model_id: Name = ""
    model_version_id: Name = ""
    notes: str | None = None
    tags: list[Tag] | None = None

    _tagged = field_validator("tags")(_tags)
