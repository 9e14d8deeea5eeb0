"""Ids versus names: a reference that looks like an id is used as is; anything else is looked
up by name (CML's substring filter on the server, then an exact check here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from cml_magic.api.errors import AmbiguousNameError, NotFoundError

DASHED_ID = re.compile(r"[a-z0-9]{4}(?:-[a-z0-9]{4}){3}\Z")
UUID_ID = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\Z")
NUMERIC_ID = re.compile(r"[0-9]+\Z")


N = TypeVar("N")


def is_dashed_id(ref: str) -> bool:
    """True for a 19-character `xxxx-xxxx-xxxx-xxxx` project, job or application id."""
    return bool(DASHED_ID.match(ref))


def is_id(ref: str) -> bool:
    """True for a dashed id or a UUID (models, builds, deployments)."""
    return bool(DASHED_ID.match(ref) or UUID_ID.match(ref.lower()))


def is_numeric(ref: str | int) -> bool:
    """True for the numeric job id shown in CML web addresses (`/jobs/208`)."""
    return isinstance(ref, int) or bool(NUMERIC_ID.match(ref))


def exactly_one(
    kind: str,
    name: str,
    items: Iterable[N],
    describe: Callable[[N], dict[str, str]],
    where: str = "",
    *,
    ref: str | None = None,
    project_id: str | None = None,
) -> N:
    """The one item named exactly `name`; `NotFoundError` or `AmbiguousNameError` otherwise.

    `ref` is the reference as given (default `name`), `project_id` where it was looked for:
    the error carries both."""
    matches = [item for item in items if getattr(item, "name", None) == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        given = name if ref is None else ref
        raise NotFoundError(
            f"no {kind} named {given!r}{where}", kind=kind, name=given, project_id=project_id
        )
    raise AmbiguousNameError(kind, name, [describe(item) for item in matches])
