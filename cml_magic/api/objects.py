"""The result objects: frozen dataclasses whose field names are CML's JSON names, converted
from the JSON when built, and `Listing`, the JSON of one listing that builds its objects on
first access.

Conversion undoes CML's quirks: timestamps become aware `datetime`s (None for CML's zero time),
64-bit integers sent as strings become `int`, `environment` becomes a dict, nested users and
projects become objects. Each object keeps the JSON as received in `.raw`. Here are the objects
of projects and jobs (what a job listing needs) and their files; the others are in the modules
named for what they describe (`run_objects`, `serving_objects`, ...); how objects are shown is
in `display`.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Self, TypeVar, overload

from cml_magic.api import convert

Converter = Callable[[Any], Any]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# One converter per field type: JSON value -> field value.
def _to_str(value: Any) -> str:
    return value if value.__class__ is str else _text(value)


def _to_bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    return value.lower() in ("true", "t", "1") if isinstance(value, str) else bool(value)


def _to_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value or ())


def _to_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _nested(cls: type[Resource]) -> Converter:
    """The converter of a nested object (a user, a project): None unless CML sent an object."""

    def nested(value: Any) -> Any:
        return cls.from_json(value) if isinstance(value, dict) else None

    return nested


_SIMPLE: Mapping[Any, Converter] = {
    datetime: convert.timestamp,
    str: _to_str,
    bool: _to_bool,
    int: convert.integer,
    float: convert.number,
}


def _converter(name: str, hint: Any) -> Converter:
    """The function converting a JSON value to field `name`'s type."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union) and len(args) == 1:
        hint, origin = args[0], typing.get_origin(args[0])
    if hint in _SIMPLE:
        return _SIMPLE[hint]
    if name == "environment":
        return convert.environment
    if name == "tags" and origin is dict:  # CML's `Tag` list, as a dict
        return convert.tags
    if origin is tuple:
        return _to_tuple
    if origin is dict:
        return _to_dict
    if isinstance(hint, type) and issubclass(hint, Resource):
        return _nested(hint)
    raise TypeError(f"no converter for {name}: {hint}")  # pragma: no cover - a coding error


def _new_or_old(data: Mapping[str, Any], new: str, old: str) -> Any:
    """`data[new]`, else `data[old]` where only the older name has a value."""
    value = data.get(new)
    if not value and data.get(old):
        return data[old]
    return value


def converters(cls: type[Resource]) -> Mapping[str, Converter]:
    """`{field: converter}` for every field of `cls` that CML sends, built once per class.

    Left out: `raw`, and the fields the client fills (`metadata={"json": False}`), which keep
    their default unless `from_json` is given them.
    """
    return _converters(cls)  # type: ignore[arg-type]  # mypy checks a class by its instances' __hash__


@functools.cache
def _converters(cls: type[Resource]) -> Mapping[str, Converter]:
    hints = typing.get_type_hints(cls)
    return types.MappingProxyType(
        {
            f.name: _converter(f.name, hints[f.name])
            for f in dataclasses.fields(cls)
            if f.name != "raw" and f.metadata.get("json", True)
        }
    )


@dataclass(frozen=True, slots=True, repr=False)
class Resource:
    """Base of every result object.

    `repr()` lists the fields; in IPython and Jupyter an object shows only its key fields
    (`SUMMARY`), as text or a small table. Every display is masked (see `display`); the object
    itself keeps the values.
    """

    kind: ClassVar[str] = "object"
    # The fields a notebook shows, in order; empty ones are left out.
    SUMMARY: ClassVar[tuple[str, ...]] = ()
    # (field, older JSON name): the older name is read when the field itself is empty.
    OLD_NAMES: ClassVar[tuple[tuple[str, str], ...]] = ()

    # The JSON as received. Keyword-only: the schema's fields keep their positions.
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, kw_only=True)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], **extra: Any) -> Self:
        """Build the object from CML's JSON; `extra` fills fields CML does not send.

        Every field is converted now; `.raw` is a copy of `data`.
        """
        found = converters(cls)
        values = {name: conv(data.get(name)) for name, conv in found.items()}
        for new, old in cls.OLD_NAMES:
            values[new] = found[new](_new_or_old(data, new, old))
        values.update(extra)  # an unknown name is the dataclass's TypeError
        return cls(**values, raw=dict(data))

    @classmethod
    def column(cls, rows: Sequence[Mapping[str, Any]], name: str) -> list[Any]:
        """Field `name` of the objects `from_json` makes of `rows`, without making them."""
        conv = converters(cls)[name]
        old = dict(cls.OLD_NAMES).get(name)
        if old is not None:
            return [conv(_new_or_old(row, name, old)) for row in rows]
        if conv is _to_str:  # most columns: the check inline, without a call per string
            return [v if (v := row.get(name)).__class__ is str else _text(v) for row in rows]
        return [conv(row.get(name)) for row in rows]

    def summary(self) -> list[tuple[str, str]]:
        """The key fields as (name, text) pairs, masked."""
        from cml_magic.api import display  # display imports this module

        return display.summary(self)

    def __repr__(self) -> str:
        from cml_magic.api import display

        return display.representation(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's text display: the class name and the key fields, on one line if they fit."""
        from cml_magic.api import display

        display.pretty(self, printer)

    def _repr_html_(self) -> str:
        """Jupyter's display: the key fields as a two-column table."""
        from cml_magic.api import display

        return display.html(self)


@dataclass(frozen=True, slots=True, repr=False)
class User(Resource):
    """`ShortUser`: who created or owns something."""

    kind: ClassVar[str] = "user"
    SUMMARY: ClassVar[tuple[str, ...]] = ("username", "name", "email")
    username: str = ""
    name: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True, repr=False)
class ShortProject(Resource):
    """The project a job or model belongs to."""

    kind: ClassVar[str] = "project"
    SUMMARY: ClassVar[tuple[str, ...]] = ("name", "public_identifier")
    public_identifier: str = ""
    name: str = ""
    default_project_engine: str = ""
    slug: str = ""


@dataclass(frozen=True, slots=True, repr=False)
class Project(Resource):
    """A CML project."""

    kind: ClassVar[str] = "project"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "id",
        "owner",
        "visibility",
        "description",
        "created_at",
    )
    id: str = ""
    name: str = ""
    owner: User | None = None
    creator: User | None = None
    description: str = ""
    visibility: str = ""
    default_engine_type: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    creation_status: str = ""
    permissions: dict[str, Any] = field(default_factory=dict)
    shared_memory_limit: int = 0
    environment: dict[str, str] = field(default_factory=dict)
    ephemeral_storage_request: int = 0
    ephemeral_storage_limit: int = 0
    slug: str = ""

    # Older workspaces (2021) spelled three fields differently.
    OLD_NAMES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("visibility", "project_visibility"),
        ("default_engine_type", "default_project_engine_type"),
        ("slug", "full_name"),
    )


@dataclass(frozen=True, slots=True, repr=False)
class Job(Resource):
    """A job of a project."""

    kind: ClassVar[str] = "job"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "name",
        "id",
        "project",
        "script",
        "arguments",
        "schedule",
        "environment",
        "created_at",
    )
    id: str = ""
    name: str = ""
    script: str = ""
    arguments: str = ""
    kernel: str = ""
    runtime_identifier: str = ""
    runtime_addon_identifiers: tuple[str, ...] = ()
    cpu: float = 0.0
    memory: float = 0.0
    nvidia_gpu: int = 0
    timeout: int = 0
    kill_on_timeout: bool = False
    schedule: str = ""
    english_schedule: str = ""
    timezone: str = ""
    type: str = ""
    paused: bool = False
    parent_id: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    engine_image_id: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    creator: User | None = None
    owner: User | None = None
    project: ShortProject | None = None
    run_as: int = 0
    accelerator_label_id: int = 0
    resource_group_id: int = 0
    resource_profile_id: int = 0
    retry_enabled: bool = False
    max_retry: int = 0
    retry_delay: int = 0
    retry_for_script_failure: bool = False
    retry_for_system_failure: bool = False
    retry_for_timedout_runs: bool = False
    retry_for_skipped_runs: bool = False
    recipients: tuple[dict[str, Any], ...] = ()
    attachments: tuple[str, ...] = ()
    success_recipients: str = ""
    failure_recipients: str = ""
    timeout_recipients: str = ""
    stopped_recipients: str = ""

    @property
    def project_id(self) -> str:
        """The id of the job's project."""
        return self.project.public_identifier if self.project else ""


@dataclass(frozen=True, slots=True, repr=False)
class FileInfo(Resource):
    """A file or folder of a project; `path` is relative to the folder listed."""

    kind: ClassVar[str] = "file"
    SUMMARY: ClassVar[tuple[str, ...]] = ("path", "is_dir", "file_size")
    path: str = ""
    is_dir: bool = False
    file_size: int = 0


R = TypeVar("R", bound=Resource)
_MISSING: Any = object()


class Listing(Sequence[R]):
    """One listing: the items' JSON as received (`raw`), each made an `item` object on first
    access (all at once, then kept). `frames.to_frame` reads its columns from `raw` and builds
    no object.

    `kind` is the items' kind, also when there are none; `across_projects` says the listing
    spans every project (its frame then names each item's project); `extra` fills, in every
    object, fields CML does not send (`project_id` of builds and applications).

    A `Sequence`, not a `list`: appending to or sorting a cached view would leave `raw` and the
    objects disagreeing. Slices are plain lists; a listing equals a list of the same objects.
    """

    def __init__(
        self,
        item: type[R],
        raw: Iterable[Mapping[str, Any]] = (),
        *,
        across_projects: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.item = item
        self.raw: list[Mapping[str, Any]] = list(raw)
        self.across_projects = across_projects
        self.extra: Mapping[str, Any] = dict(extra or {})

    @property
    def kind(self) -> str:
        """The items' kind ("job", "run", ...)."""
        return self.item.kind

    @functools.cached_property
    def _items(self) -> list[R]:
        build, extra = self.item.from_json, self.extra
        return [build(data, **extra) for data in self.raw]

    def column(self, name: str, default: Any = _MISSING) -> list[Any]:
        """`[getattr(item, name) for item in self]` (`default` for items without it), read
        from `raw` when `name` is a field CML sends: no object is built."""
        if name in self.extra:
            return [self.extra[name]] * len(self.raw)
        if name in converters(self.item):
            return self.item.column(self.raw, name)
        if default is _MISSING:
            return [getattr(item, name) for item in self]
        return [getattr(item, name, default) for item in self]

    @overload
    def __getitem__(self, index: int) -> R: ...

    @overload
    def __getitem__(self, index: slice) -> list[R]: ...

    def __getitem__(self, index: int | slice) -> R | list[R]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self.raw)

    def __iter__(self) -> Iterator[R]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Listing):
            return self._items == other._items
        if isinstance(other, list):
            return self._items == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as a list

    def __repr__(self) -> str:
        return repr(self._items)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython shows a listing as the list of its objects."""
        printer.pretty(self._items)
