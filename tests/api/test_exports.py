"""`cml_magic.api` exports every class a client method answers with, and loads the ones
outside `objects.py` only when first asked for."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
import typing
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import cml_magic.api as api
from cml_magic.api.client import CML
from cml_magic.api.objects import Resource

# The annotations are strings naming classes imported under TYPE_CHECKING: they are read in
# the names of every module of the package.
NAMES: dict[str, Any] = dict(vars(typing))
for _info in pkgutil.iter_modules(api.__path__):
    NAMES.update(vars(importlib.import_module(f"cml_magic.api.{_info.name}")))


def _read(annotation: Any) -> Any:
    return eval(annotation, NAMES) if isinstance(annotation, str) else annotation


def _item_types(kind: type) -> list[type]:
    """The item class of a `Collection[Item]` (what its inherited methods' `R` stands for)."""
    found: list[type] = []
    for klass in kind.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            found += [a for a in typing.get_args(base) if isinstance(a, type)]
    return found


def _classes(annotation: Any, items: list[type]) -> Iterator[type]:
    if isinstance(annotation, typing.TypeVar):
        yield from items
    elif isinstance(annotation, type):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _classes(arg, items)


def answered_classes() -> dict[str, type]:
    """Every `Resource` class a public method of the client or of one of its accessors
    (`cml.jobs`, `cml.keys`, ...) is annotated to answer with, by name."""
    kinds: list[tuple[type, list[type]]] = [(CML, [])]
    for attr in vars(CML).values():
        if isinstance(attr, cached_property):
            kind = _read(inspect.signature(attr.func).return_annotation)
            kinds.append((kind, _item_types(kind)))
    found: dict[str, type] = {}
    for kind, items in kinds:
        for name, method in inspect.getmembers(kind, inspect.isfunction):
            if name.startswith("_"):
                continue
            answer = _read(inspect.signature(method).return_annotation)
            for klass in _classes(answer, items):
                if issubclass(klass, Resource):
                    found[klass.__name__] = klass
    return found


def test_every_class_a_client_method_answers_with_is_exported() -> None:
    answered = answered_classes()
    # The scan finds the result classes of every corner of the client.
    assert {"Job", "Model", "RegisteredModel", "ApiKey", "UsageRecord"} <= set(answered)
    for name, klass in answered.items():
        assert name in api.__all__, name
        assert getattr(api, name) is klass, name


def test_the_workspace_classes_load_on_first_use() -> None:
    script = (
        "import sys, cml_magic.api as api\n"
        "before = 'cml_magic.api.workspace_objects' in sys.modules\n"
        "from cml_magic.api import ApiKey, NewApiKey, UsageRecord, WorkloadExecution\n"
        "print(before, ApiKey.__module__, issubclass(NewApiKey, ApiKey))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "cml_magic.api.workspace_objects", "True"]
