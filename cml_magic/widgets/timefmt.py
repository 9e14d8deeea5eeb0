"""Short, human times for widgets and text progress."""

from __future__ import annotations

from datetime import UTC, datetime


def clock(when: datetime | None) -> str:
    """`14:03:07` for today, `2026-11-24 14:03` otherwise, `–` when not reached; kernel's zone."""
    if when is None:
        return "–"
    local = when.astimezone()
    if local.date() == datetime.now().astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def duration(seconds: float) -> str:
    """`0:07`, `12:03`, `1:02:03`."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# The items differ in which times they have, so these read whichever the item has.


def started(obj: object) -> datetime | None:
    """When the item began: scheduling (runs), else creation."""
    return getattr(obj, "scheduling_at", None) or getattr(obj, "created_at", None)


def ended(obj: object) -> datetime | None:
    """When it ended, if it did: finished (runs), built (builds), stopped (deployments)."""
    for name in ("finished_at", "built_at", "stopped_at"):
        value: datetime | None = getattr(obj, name, None)
        if value is not None:
            return value
    return None


def elapsed(obj: object, final: bool) -> str:
    """Time from start to end (or to now while it goes on); empty when unknown."""
    begin = started(obj)
    if begin is None:
        return ""
    end = ended(obj) if final else None
    if final and end is None:
        end = getattr(obj, "updated_at", None)
    return duration(((end or datetime.now(UTC)) - begin).total_seconds())
