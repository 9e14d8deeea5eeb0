"""The result objects: frozen dataclasses whose field names are CML's JSON names.

Each object keeps the JSON as received in `.raw`, and converts a field from it when the field
is first read (then keeps the value): timestamps become aware `datetime`s (None for CML's zero
time), 64-bit integers sent as strings become `int`, `environment` becomes a dict.
"""

from __future__ import annotations

import contextlib
import dataclasses
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from cml_magic.api import convert, statuses
from cml_magic.api.masking import mask_environment, mask_text

# Defined in `serving_objects`, loaded on first use: a job listing needs none of them.
_SERVING = ("Model", "ModelBuild", "ModelDeployment", "Application")

if TYPE_CHECKING:
    from cml_magic.api.serving_objects import Application as Application
    from cml_magic.api.serving_objects import Model as Model
    from cml_magic.api.serving_objects import ModelBuild as ModelBuild
    from cml_magic.api.serving_objects import ModelDeployment as ModelDeployment


def __getattr__(name: str) -> Any:
    if name in _SERVING:
        from cml_magic.api import serving_objects

        return getattr(serving_objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _boolean(value: Any) -> bool:
    return value.lower() in ("true", "t", "1") if isinstance(value, str) else bool(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


# One converter per field type: JSON value -> field value. Each returns the plain JSON value
# when it already has the field's type, the common case.
def _to_str(value: Any) -> str:
    return value if value.__class__ is str else _text(value)


def _to_bool(value: Any) -> bool:
    return value if value is True or value is False else _boolean(value)


def _to_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value or ())


def _to_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _shared(cls: type[Resource]) -> Any:
    """The converter of a nested object: `cls.from_json`, one instance per distinct JSON.

    The items of a listing name the same few users and one project; sharing those frozen
    objects saves thousands of allocations (and the garbage collector's passes over them).
    """
    build = cls.from_json
    known: dict[Any, Any] = {}  # the first field's value -> the last object built with it
    first = dataclasses.fields(cls)[0].name

    def nested(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        key = value.get(first)
        found = known.get(key) if key.__class__ is str else None
        if found is None or found.raw != value:
            found = build(value)
            if key.__class__ is str:
                if len(known) >= 1024:
                    known.clear()
                known[key] = found
        return found

    return nested


def _converter(name: str, hint: Any) -> Any:
    """The function converting a JSON value to field `name`'s type."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union) and len(args) == 1:
        hint, origin = args[0], typing.get_origin(args[0])
    simple = {
        datetime: convert.timestamp,
        str: _to_str,
        bool: _to_bool,
        int: convert.integer,
        float: convert.number,
    }
    if hint in simple:
        return simple[hint]
    if name == "environment":
        return convert.environment
    if origin is tuple:
        return _to_tuple
    if origin is dict:
        return _to_dict
    if isinstance(hint, type) and issubclass(hint, Resource):
        return _shared(hint)
    raise TypeError(f"no converter for {name}: {hint}")  # pragma: no cover - a coding error


class _Spec:
    """What building `cls` from JSON needs, made on the class's first use.

    Fields are converted from `raw` on first access (`Resource.__getattr__`) rather than all
    at once: a listing of thousands of objects whose DataFrame shows ten fields converts ten.
    """

    def __init__(self, cls: type[Resource]) -> None:
        fields = dataclasses.fields(cls)
        hints = typing.get_type_hints(cls)
        self.names = frozenset(f.name for f in fields)
        # Not sent by CML (filled by the client): the default, unless `extra` gives one.
        self.defaults = {f.name: f.default for f in fields if not f.metadata.get("json", True)}
        self.convert: dict[str, Any] = {
            f.name: _converter(f.name, hints[f.name])
            for f in fields
            if f.name != "raw" and f.name not in self.defaults
        }
        # A default left on the class (or a base) would be found before `__getattr__` is
        # asked. Made objects keep theirs: the dataclass `__init__` holds its own copies.
        for klass in cls.__mro__:
            for name in self.convert.keys() & vars(klass).keys():
                with contextlib.suppress(AttributeError):  # another thread was first
                    delattr(klass, name)


_SPECS: dict[type, _Spec] = {}


def _spec(cls: type[Resource]) -> _Spec:
    found = _SPECS.get(cls)
    if found is None:
        found = _SPECS[cls] = _Spec(cls)
    return found


_MISSING: Any = object()


def field_columns(
    items: Iterable[Any], names: Iterable[str], default: Any = _MISSING
) -> dict[str, list[Any]]:
    """`{name: [item.<name> for item in items]}` for each name; `default` (when given) for
    items without that field.

    A field not read yet is converted from the item's `raw` without being kept in the item:
    a DataFrame of a long listing reads each of its columns once.
    """
    rows = list(items)
    classes = {type(item) for item in rows}
    only = classes.pop() if len(classes) == 1 else None
    spec = _spec(only) if only is not None and issubclass(only, Resource) else None
    attributes = [item.__dict__ for item in rows] if spec is not None else []
    # Items of which no field was read yet hold only `raw` and the client's defaults: the
    # common case of a fresh listing, taken straight from `raw`.
    unread = 1 + len(spec.defaults) if spec is not None else 0
    raws = [d["raw"] for d in attributes] if all(len(d) == unread for d in attributes) else None
    columns: dict[str, list[Any]] = {}
    for name in names:
        convert = spec.convert.get(name) if spec is not None else None
        if convert is not None and raws is not None:
            if convert is _to_str:  # most columns: the check inline, no call per string
                columns[name] = [
                    v if (v := raw.get(name)).__class__ is str else _text(v) for raw in raws
                ]
            else:
                columns[name] = [convert(raw.get(name)) for raw in raws]
        elif convert is not None:
            # Every item is of one kind: a field is either read already or converted from raw.
            columns[name] = [
                d[name] if name in d else convert(d["raw"].get(name)) for d in attributes
            ]
        elif default is _MISSING:
            columns[name] = [getattr(item, name) for item in rows]
        else:
            columns[name] = [getattr(item, name, default) for item in rows]
    return columns


T = TypeVar("T")


class Listing(list[T]):
    """A list of result objects that knows their kind, even when it is empty, and whether it
    spans every project (`across_projects`: its frame then names each item's project)."""

    def __init__(
        self, items: Iterable[T] = (), kind: str = "object", across_projects: bool = False
    ) -> None:
        super().__init__(items)
        self.kind = kind
        self.across_projects = across_projects


def _shown(value: Any) -> str:
    """One field's value as a notebook shows it ("" when there is nothing to show)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, User):
        return value.username
    if isinstance(value, ShortProject):
        return value.name or value.public_identifier
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return ""
    return str(value)


@dataclass(frozen=True, repr=False)
class Resource:
    """Base of every result object.

    `repr()` lists the fields; in IPython and Jupyter an object shows only its key fields
    (`SUMMARY`), as text or a small table. Every display is masked (`cml_magic.api.masking`):
    secret-looking environment values, values holding a known key, and any key in the text;
    the object itself keeps the values.
    """

    kind: ClassVar[str] = "object"
    # The fields a notebook shows, in order; empty ones are left out.
    SUMMARY: ClassVar[tuple[str, ...]] = ()

    def summary(self) -> list[tuple[str, str]]:
        """The key fields as (name, text) pairs, masked."""
        rows = []
        for name in self.SUMMARY:
            value = getattr(self, name)
            if name == "environment":
                value = mask_environment(value)
            text = mask_text(_shown(value))
            if text:
                rows.append((name, text))
        return rows

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if f.repr:
                value = getattr(self, f.name)
                if f.name == "environment":
                    value = mask_environment(value)
                parts.append(f"{f.name}={value!r}")
        return mask_text(f"{type(self).__name__}({', '.join(parts)})")

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """IPython's text display: the class name and the key fields, on one line if they fit."""
        with printer.group(2, f"{type(self).__name__}(", ")"):
            for i, (name, text) in enumerate(self.summary()):
                if i:
                    printer.text(",")
                    printer.breakable()
                printer.text(f"{name}: {text}")

    def _repr_html_(self) -> str:
        """Jupyter's display: the key fields as a two-column table."""
        import html

        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
            f"<td style='text-align:left'>{html.escape(text)}</td></tr>\n"
            for name, text in self.summary()
        )
        caption = html.escape(type(self).__name__)
        return f"<table class='cml-object'><caption>{caption}</caption>\n{rows}</table>"

    @classmethod
    def from_json(cls, data: dict[str, Any], **extra: Any) -> Self:
        """Build the object from CML's JSON; `extra` fills fields CML does not send.

        Each field is converted from `.raw` (a copy of `data`) when first read, then kept.
        """
        return cls._from_answer(dict(data), **extra)

    @classmethod
    def _from_answer(cls, data: dict[str, Any], **extra: Any) -> Self:
        """`from_json` of JSON just decoded from an answer, which nothing else holds: the
        object keeps `data` itself as `.raw` (listings of thousands skip a copy each)."""
        spec = _spec(cls)
        if extra:
            unknown = extra.keys() - spec.names
            if unknown:
                raise TypeError(f"unexpected fields for {cls.__name__}: {sorted(unknown)}")
        obj = object.__new__(cls)
        attributes = obj.__dict__
        attributes["raw"] = data
        if spec.defaults:
            attributes.update(spec.defaults)
        if extra:
            attributes.update(extra)
        return obj

    if not TYPE_CHECKING:  # mypy keeps checking attribute names

        def __getattr__(self, name: str) -> Any:
            # Asked only for names the instance lacks: a field of an object built by
            # `from_json` that was not read yet.
            convert = _spec(type(self)).convert.get(name)
            attributes = self.__dict__
            raw = attributes.get("raw")
            if convert is None or raw is None:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            value = attributes[name] = convert(raw.get(name))
            return value


@dataclass(frozen=True, repr=False)
class User(Resource):
    """`ShortUser`: who created or owns something."""

    kind: ClassVar[str] = "user"
    SUMMARY: ClassVar[tuple[str, ...]] = ("username", "name", "email")
    username: str = ""
    name: str = ""
    email: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, repr=False)
class ShortProject(Resource):
    """The project a job or model belongs to."""

    kind: ClassVar[str] = "project"
    SUMMARY: ClassVar[tuple[str, ...]] = ("name", "public_identifier")
    public_identifier: str = ""
    name: str = ""
    default_project_engine: str = ""
    slug: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, repr=False)
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
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # Older workspaces (2021) spelled three fields differently.
    _OLD_NAMES: ClassVar[tuple[tuple[str, str], ...]] = (
        ("visibility", "project_visibility"),
        ("default_engine_type", "default_project_engine_type"),
        ("slug", "full_name"),
    )

    @classmethod
    def _from_answer(cls, data: dict[str, Any], **extra: Any) -> Self:
        # Old or new field names alike.
        for new, old in cls._OLD_NAMES:
            if not data.get(new) and data.get(old) and new not in extra:
                extra[new] = _to_str(data[old])
        return super()._from_answer(data, **extra)


@dataclass(frozen=True, repr=False)
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
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def project_id(self) -> str:
        """The id of the job's project."""
        return self.project.public_identifier if self.project else ""


@dataclass(frozen=True, repr=False)
class JobRun(Resource):
    """One run of a job (CML's engine)."""

    kind: ClassVar[str] = "run"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "id",
        "status",
        "job_id",
        "project_id",
        "arguments",
        "environment",
        "created_at",
        "finished_at",
    )
    id: str = ""
    project_id: str = ""
    job_id: str = ""
    status: str = ""
    created_at: datetime | None = None
    scheduling_at: datetime | None = None
    starting_at: datetime | None = None
    running_at: datetime | None = None
    finished_at: datetime | None = None
    kernel: str = ""
    cpu: float = 0.0
    memory: float = 0.0
    nvidia_gpu: int = 0
    arguments: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    creator: User | None = None
    runtime_identifier: str = ""
    resource_group_id: int = 0
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """True once the run stopped for good (succeeded, failed, timed out, stopped, skipped)."""
        return statuses.RUN.is_finished(self.status)

    @property
    def succeeded(self) -> bool:
        """True when the run finished successfully."""
        return statuses.RUN.is_succeeded(self.status)


@dataclass(frozen=True, repr=False)
class Runtime(Resource):
    """A runtime image; `image_identifier` is its id."""

    kind: ClassVar[str] = "runtime"
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "image_identifier",
        "editor",
        "kernel",
        "edition",
        "full_version",
        "status",
    )
    image_identifier: str = ""
    editor: str = ""
    kernel: str = ""
    edition: str = ""
    description: str = ""
    full_version: str = ""
    status: str = ""
    register_user_id: int = 0
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, repr=False)
class FileInfo(Resource):
    """A file or folder of a project; `path` is relative to the folder listed."""

    kind: ClassVar[str] = "file"
    SUMMARY: ClassVar[tuple[str, ...]] = ("path", "is_dir", "file_size")
    path: str = ""
    is_dir: bool = False
    file_size: int = 0
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, repr=False)
class KeyCheck(Resource):
    """The answer of `POST /api/v2/auth/validate_key`."""

    kind: ClassVar[str] = "key"
    SUMMARY: ClassVar[tuple[str, ...]] = ("valid", "username", "message")
    valid: bool = False
    username: str = ""
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
