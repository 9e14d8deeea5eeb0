"""How an item's status looks: stepper position, label and colour.

Pure data, no widgets and no HTTP, so the text fallback, the widgets and the poller agree.
What a status means (still changing, settled, final, succeeded) is the API's vocabulary
(`cml_magic.api.statuses`); this module adds only the looks.
"""

from __future__ import annotations

from dataclasses import dataclass

from cml_magic.api.statuses import Activity, of

__all__ = ["Activity", "Phase", "phase"]


@dataclass(frozen=True)
class Phase:
    """One item's position: the stepper step reached, its label, colour and poll activity."""

    step: int
    label: str
    colour: str  # a CSS colour for text (a theme variable: see GREY ... ORANGE)
    style: str  # ipywidgets button/bar style: "", "info", "success", "warning", "danger"
    activity: Activity
    succeeded: bool = False
    transitional: bool = False  # a short step: the poller serves it before long ones


@dataclass(frozen=True)
class _Look:
    step: int
    label: str
    colour: str
    style: str


# Text colours from JupyterLab's theme (light and dark), with fallbacks where it is absent.
# Each reads at 4.5:1 or better on the theme's background; parts.PILLS gives each its badge.
GREY = "var(--jp-ui-font-color2, #6c757d)"
BLUE = "var(--jp-brand-color1, #1f6feb)"
# The theme's green is 4.1:1 on Light's white: a quarter of the theme's strongest text colour
# (black in Light, white in Dark) mixed in takes it past 4.5:1 in both.
GREEN = "color-mix(in srgb, var(--jp-success-color1, #1a7f37) 75%, var(--jp-ui-font-color0, #000))"
RED = "var(--jp-error-color1, #cf222e)"
# Orange likewise (3.8:1 on Light's white alone).
ORANGE = "color-mix(in srgb, var(--jp-warn-color0, #9a6700) 70%, var(--jp-ui-font-color0, #000))"

RUN_STEPS = ("scheduling", "starting", "running", "finished")
BUILD_STEPS = ("queued", "building", "finished")
DEPLOYMENT_STEPS = ("pending", "deploying", "deployed")
APPLICATION_STEPS = ("starting", "running")

_RUN = {
    "ENGINE_SCHEDULING": _Look(0, "scheduling", GREY, "info"),
    "ENGINE_STARTING": _Look(1, "starting", BLUE, "info"),
    "ENGINE_RUNNING": _Look(2, "running", BLUE, "info"),
    "ENGINE_STOPPING": _Look(2, "stopping", ORANGE, "warning"),
    "ENGINE_UNKNOWN": _Look(0, "unknown", GREY, ""),
    "ENGINE_SUCCEEDED": _Look(3, "succeeded", GREEN, "success"),
    "ENGINE_FAILED": _Look(3, "failed", RED, "danger"),
    "ENGINE_TIMEDOUT": _Look(3, "timed out", RED, "danger"),
    "ENGINE_STOPPED": _Look(3, "stopped", ORANGE, "warning"),
    "ENGINE_SKIPPED": _Look(3, "skipped", GREY, "warning"),
}

_BUILD = {
    "pending": _Look(0, "pending", GREY, "info"),
    "queued": _Look(0, "queued", GREY, "info"),
    "building": _Look(1, "building", BLUE, "info"),
    "pushing": _Look(1, "pushing", BLUE, "info"),
    "unknown": _Look(0, "unknown", GREY, ""),
    "built": _Look(2, "built", GREEN, "success"),
    "succeeded": _Look(2, "succeeded", GREEN, "success"),
    "build failed": _Look(2, "build failed", RED, "danger"),
    "build_failed": _Look(2, "build failed", RED, "danger"),
    "failed": _Look(2, "failed", RED, "danger"),
    "timedout": _Look(2, "timed out", RED, "danger"),
}

_DEPLOYMENT = {
    "pending": _Look(0, "pending", GREY, "info"),
    "deploying": _Look(1, "deploying", BLUE, "info"),
    "deployed": _Look(2, "deployed", GREEN, "success"),
    "stopping": _Look(2, "stopping", ORANGE, "warning"),
    "stopped": _Look(2, "stopped", ORANGE, "warning"),
    "failed": _Look(2, "failed", RED, "danger"),
}

_APPLICATION = {
    "APPLICATION_STARTING": _Look(0, "starting", BLUE, "info"),
    "APPLICATION_RUNNING": _Look(1, "running", GREEN, "success"),
    "APPLICATION_STOPPING": _Look(1, "stopping", ORANGE, "warning"),
    "APPLICATION_STOPPED": _Look(1, "stopped", GREY, "warning"),
    "APPLICATION_FAILED": _Look(1, "failed", RED, "danger"),
    "APPLICATION_UNKNOWN": _Look(0, "unknown", GREY, ""),
}

_TABLES = {"run": _RUN, "build": _BUILD, "deployment": _DEPLOYMENT, "application": _APPLICATION}
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
    words = of(kind)
    key = words.word(status)
    look = _TABLES[kind].get(key) or _Look(0, key.lower() or "unknown", GREY, "")
    activity = words.activity(key)
    return Phase(
        look.step,
        look.label,
        look.colour,
        look.style,
        activity,
        succeeded=words.is_succeeded(key),
        transitional=activity is Activity.ACTIVE and words.is_brief(key),
    )
