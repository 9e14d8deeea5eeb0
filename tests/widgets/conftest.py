"""Fixtures for the widget tests: a real client of the local CML server, a fast private poller."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.clients import client

from cml_magic.api import CML
from cml_magic.widgets.poller import Poller


@pytest.fixture
def cml(local_cml) -> Iterator[CML]:
    with client(local_cml) as c:
        yield c


@pytest.fixture
def poller() -> Iterator[Poller]:
    p = Poller(
        interval=0.05, idle_after=30, idle_interval=0.5, settled_interval=0.5, max_backoff=0.4
    )
    yield p
    p.stop()


@pytest.fixture(autouse=True)
def no_widget_frontend(monkeypatch) -> None:
    """Tests decide the front end themselves; nothing leaks in from the environment."""
    monkeypatch.delenv("CML_MAGIC_WIDGETS", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
