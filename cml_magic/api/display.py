"""How a result object shows itself: `repr()`, IPython's text display and Jupyter's HTML table.

Every shown value goes through `masking`: secret-looking environment values, values holding a
known key, and any key in the text. The objects themselves keep the values.
"""

from __future__ import annotations

import dataclasses
import html as _html
from datetime import UTC, datetime
from typing import Any

from cml_magic.api.masking import mask_environment, mask_text
from cml_magic.api.objects import Resource, ShortProject, User


def shown(value: Any) -> str:
    """One field's value as a notebook shows it ("" when there is nothing to show), unmasked."""
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


def summary(obj: Resource) -> list[tuple[str, str]]:
    """The key fields (`obj.SUMMARY`) as (name, text) pairs, masked; empty ones left out."""
    rows = []
    for name in obj.SUMMARY:
        value = getattr(obj, name)
        if name == "environment":
            value = mask_environment(value)
        elif name == "job_id" and (job_name := getattr(obj, "job_name", "")):
            # A run names its job as the user knows it; the id stays beside it.
            name, value = "job", f"{job_name} ({value})"
        text = mask_text(shown(value))
        if text:
            rows.append((name, text))
    return rows


def representation(obj: Resource) -> str:
    """`repr(obj)`: the class name and every field shown by `repr`, masked."""
    parts = []
    for f in dataclasses.fields(obj):
        if f.repr:
            value = getattr(obj, f.name)
            if f.name == "environment":
                value = mask_environment(value)
            parts.append(f"{f.name}={value!r}")
    return mask_text(f"{type(obj).__name__}({', '.join(parts)})")


def pretty(obj: Resource, printer: Any) -> None:
    """IPython's text display: the class name and the key fields, on one line if they fit."""
    with printer.group(2, f"{type(obj).__name__}(", ")"):
        for i, (name, text) in enumerate(summary(obj)):
            if i:
                printer.text(",")
                printer.breakable()
            printer.text(f"{name}: {text}")


def html(obj: Resource) -> str:
    """Jupyter's display: the key fields as a two-column table."""
    rows = "".join(
        f"<tr><th style='text-align:left'>{_html.escape(name)}</th>"
        f"<td style='text-align:left'>{_html.escape(text)}</td></tr>\n"
        for name, text in summary(obj)
    )
    caption = _html.escape(type(obj).__name__)
    return f"<table class='cml-object'><caption>{caption}</caption>\n{rows}</table>"
