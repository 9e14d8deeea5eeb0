"""CML's status words, per kind of item, and what each means.

The one place that knows them: the result objects (`run.finished`), the waits, the widgets and
the magics ask here. Runs and applications send upper-case words (`ENGINE_RUNNING`), compared
exactly; builds and deployments plain words whose case varies between CML versions (`built`,
`BUILT`), compared lower-cased. (The local server keeps its own names: it imports nothing of
the client.)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Activity(Enum):
    """What an item in a status is doing, which says how often to look at it again."""

    ACTIVE = "active"  # changing soon (or a status nobody knows yet)
    SETTLED = "settled"  # steady but live (a serving deployment, a running application)
    FINAL = "final"  # will never change again


@dataclass(frozen=True)
class Statuses:
    """The status words of one kind of item."""

    kind: str  # "run", "build", "deployment", "application"
    active: frozenset[str]  # changing: scheduling, running, building, deploying...
    settled: frozenset[str]  # steady but live: it stays so until someone acts
    final: frozenset[str]  # will never change again
    succeeded: frozenset[str]  # what the item was made for happened
    brief: frozenset[str]  # short active steps (starting, stopping): the next change is near
    folded: bool = False  # compared lower-cased

    def word(self, status: str | None) -> str:
        """`status` as this vocabulary writes it."""
        return (status or "").lower() if self.folded else (status or "")

    def activity(self, status: str | None) -> Activity:
        """FINAL, SETTLED, else ACTIVE (a status unknown here is taken as changing)."""
        word = self.word(status)
        if word in self.final:
            return Activity.FINAL
        if word in self.settled:
            return Activity.SETTLED
        return Activity.ACTIVE

    def is_finished(self, status: str | None) -> bool:
        """True once the item stopped changing by itself (final or settled): what waits wait for."""
        return self.activity(status) is not Activity.ACTIVE

    def is_final(self, status: str | None) -> bool:
        return self.word(status) in self.final

    def is_succeeded(self, status: str | None) -> bool:
        return self.word(status) in self.succeeded

    def is_brief(self, status: str | None) -> bool:
        return self.word(status) in self.brief


RUN = Statuses(
    kind="run",
    active=frozenset(
        {
            "ENGINE_SCHEDULING",
            "ENGINE_STARTING",
            "ENGINE_RUNNING",
            "ENGINE_STOPPING",
            "ENGINE_UNKNOWN",
        }
    ),
    settled=frozenset(),
    final=frozenset(
        {"ENGINE_SUCCEEDED", "ENGINE_FAILED", "ENGINE_TIMEDOUT", "ENGINE_STOPPED", "ENGINE_SKIPPED"}
    ),
    succeeded=frozenset({"ENGINE_SUCCEEDED"}),
    brief=frozenset({"ENGINE_SCHEDULING", "ENGINE_STARTING", "ENGINE_STOPPING"}),
)

BUILD = Statuses(
    kind="build",
    active=frozenset({"pending", "queued", "building", "pushing", "unknown"}),
    settled=frozenset(),
    final=frozenset({"built", "succeeded", "build failed", "build_failed", "failed", "timedout"}),
    succeeded=frozenset({"built", "succeeded"}),
    brief=frozenset({"pending", "queued", "pushing"}),
    folded=True,
)

DEPLOYMENT = Statuses(
    kind="deployment",
    active=frozenset({"pending", "deploying", "stopping"}),
    settled=frozenset({"deployed"}),
    final=frozenset({"stopped", "failed"}),
    succeeded=frozenset({"deployed"}),
    brief=frozenset({"pending", "deploying", "stopping"}),
    folded=True,
)

APPLICATION = Statuses(
    kind="application",
    active=frozenset({"APPLICATION_STARTING", "APPLICATION_STOPPING", "APPLICATION_UNKNOWN"}),
    settled=frozenset({"APPLICATION_RUNNING"}),
    final=frozenset({"APPLICATION_STOPPED", "APPLICATION_FAILED"}),
    succeeded=frozenset({"APPLICATION_RUNNING"}),
    brief=frozenset({"APPLICATION_STARTING", "APPLICATION_STOPPING"}),
)

BY_KIND = {s.kind: s for s in (RUN, BUILD, DEPLOYMENT, APPLICATION)}


def of(kind: str) -> Statuses:
    """The vocabulary of `kind` ("run", "build", "deployment", "application")."""
    try:
        return BY_KIND[kind]
    except KeyError:
        raise ValueError(f"{kind}s have no status") from None


def run_filter(status: str | None) -> str | None:
    """`ENGINE_FAILED` or `failed` -> `failed`, the form CML's run filter takes."""
    if not status:
        return None
    return status.strip().lower().removeprefix("engine_")


# The words `%cml runs list --status` offers (CML's run filter takes them without `engine_`).
RUN_FILTERS = tuple(
    run_filter(s) or ""
    for s in (
        "ENGINE_SCHEDULING",
        "ENGINE_RUNNING",
        "ENGINE_STOPPING",
        "ENGINE_STOPPED",
        "ENGINE_SUCCEEDED",
        "ENGINE_FAILED",
        "ENGINE_TIMEDOUT",
    )
)


def ended(status: str | None) -> bool:
    """Whether `status`, of any kind of item, is a final one (a workload execution's status
    says nothing of its kind)."""
    return any(vocabulary.is_final(status) for vocabulary in BY_KIND.values())
