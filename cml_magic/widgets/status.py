"""Where an item stands in CML's status machine: stepper position, colour, and how to poll it.

Pure data, no widgets and no HTTP, so the text fallback, the widgets and the poller agree.
Status strings are CML's own (cml_api_v2.md §5): `ENGINE_*` for job runs, plain lower-case
strings for model builds and deployments.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Activity(Enum):
    """How often the poller should look at an item."""

    ACTIVE = "active"  # changing soon: poll at the normal rate
    SETTLED = "settled"  # steady but still live (a serving deployment): poll rarely
    FINAL = "final"  # will never change again: one last update, then stop watching


@dataclass(frozen=True)
class Phase:
    """One item's position: the stepper step reached, its label, colour and poll activity."""

    step: int
    label: str
    colour: str  # a CSS colour
    style: str  # ipywidgets button/bar style: "", "info", "success", "warning", "danger"
    activity: Activity
    succeeded: bool = False

    @property
    def transitional(self) -> bool:
        """A short step (scheduling, starting, stopping, deploying...): the next change is near,
        so the poller serves it before items in a long step (running, building)."""
        return self.activity is Activity.ACTIVE and self.label in _TRANSITIONAL


GREY, BLUE, GREEN, RED, ORANGE = "#6c757d", "#1f6feb", "#1a7f37", "#cf222e", "#bf8700"

RUN_STEPS = ("scheduling", "starting", "running", "finished")
BUILD_STEPS = ("queued", "building", "finished")
DEPLOYMENT_STEPS = ("pending", "deploying", "deployed")

_A, _S, _F = Activity.ACTIVE, Activity.SETTLED, Activity.FINAL
_TRANSITIONAL = frozenset(
    {"scheduling", "starting", "stopping", "pending", "queued", "pushing", "deploying"}
)

_RUN = {
    "ENGINE_SCHEDULING": Phase(0, "scheduling", GREY, "info", _A),
    "ENGINE_STARTING": Phase(1, "starting", BLUE, "info", _A),
    "ENGINE_RUNNING": Phase(2, "running", BLUE, "info", _A),
    "ENGINE_STOPPING": Phase(2, "stopping", ORANGE, "warning", _A),
    "ENGINE_UNKNOWN": Phase(0, "unknown", GREY, "", _A),
    "ENGINE_SUCCEEDED": Phase(3, "succeeded", GREEN, "success", _F, succeeded=True),
    "ENGINE_FAILED": Phase(3, "failed", RED, "danger", _F),
    "ENGINE_TIMEDOUT": Phase(3, "timed out", RED, "danger", _F),
    "ENGINE_STOPPED": Phase(3, "stopped", ORANGE, "warning", _F),
    "ENGINE_SKIPPED": Phase(3, "skipped", GREY, "warning", _F),
}

_BUILD = {
    "pending": Phase(0, "pending", GREY, "info", _A),
    "queued": Phase(0, "queued", GREY, "info", _A),
    "building": Phase(1, "building", BLUE, "info", _A),
    "pushing": Phase(1, "pushing", BLUE, "info", _A),
    "unknown": Phase(0, "unknown", GREY, "", _A),
    "built": Phase(2, "built", GREEN, "success", _F, succeeded=True),
    "succeeded": Phase(2, "succeeded", GREEN, "success", _F, succeeded=True),
    "build failed": Phase(2, "build failed", RED, "danger", _F),
    "build_failed": Phase(2, "build failed", RED, "danger", _F),
    "failed": Phase(2, "failed", RED, "danger", _F),
    "timedout": Phase(2, "timed out", RED, "danger", _F),
}

_DEPLOYMENT = {
    "pending": Phase(0, "pending", GREY, "info", _A),
    "deploying": Phase(1, "deploying", BLUE, "info", _A),
    "deployed": Phase(2, "deployed", GREEN, "success", _S, succeeded=True),
    "stopping": Phase(2, "stopping", ORANGE, "warning", _A),
    "stopped": Phase(2, "stopped", ORANGE, "warning", _F),
    "failed": Phase(2, "failed", RED, "danger", _F),
}

_APPLICATION = {
    "APPLICATION_STARTING": Phase(0, "starting", BLUE, "info", _A),
    "APPLICATION_RUNNING": Phase(1, "running", GREEN, "success", _S, succeeded=True),
    "APPLICATION_STOPPING": Phase(1, "stopping", ORANGE, "warning", _A),
    "APPLICATION_STOPPED": Phase(1, "stopped", GREY, "warning", _F),
    "APPLICATION_FAILED": Phase(1, "failed", RED, "danger", _F),
    "APPLICATION_UNKNOWN": Phase(0, "unknown", GREY, "", _A),
}

_TABLES = {"run": _RUN, "build": _BUILD, "deployment": _DEPLOYMENT, "application": _APPLICATION}
APPLICATION_STEPS = ("starting", "running")
STEPS = {
    "run": RUN_STEPS,
    "build": BUILD_STEPS,
    "deployment": DEPLOYMENT_STEPS,
    "application": APPLICATION_STEPS,
}


def phase(kind: str, status: str | None) -> Phase:
    """The phase of a `kind` ("run", "build", "deployment", "application") item in `status`.

    A status this module does not know is shown as it came, grey, and polled as active, so a
    newer CML with more statuses still gets a working (if plainer) widget.
    """
    table = _TABLES[kind]
    key = status or ""
    found = table.get(key) or table.get(key.lower())
    if found is not None:
        return found
    return Phase(0, key.lower() or "unknown", GREY, "", Activity.ACTIVE)
