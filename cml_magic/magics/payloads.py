"""What `%cml models predict` sends: the JSON on the line, or the calls `-i NAME` makes of a
notebook variable (a dict: one call; a list: one per item; a DataFrame: one per row), and how
their answers come back (the answer; a list; a DataFrame beside the rows)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cml_magic.magics.errors import usage_error

EXAMPLE = """%cml models predict MODEL '{"x": 1}'"""


def from_line(words: list[str]) -> Any:
    """The payload written on the line: one JSON word (quoted, as in a shell)."""
    text = " ".join(words)
    try:
        value = json.loads(text)
    except ValueError as exc:
        hint = " (quote it as one word)" if len(words) > 1 else ""
        raise usage_error(
            f"the payload is not JSON{hint}: {exc}; e.g. {EXAMPLE}, or -i NAME", "bad_argument"
        ) from None
    if len(words) > 1:
        raise usage_error(f"quote the JSON payload as one word: {EXAMPLE}", "bad_argument")
    return value


def is_frame(value: Any) -> bool:
    """A pandas DataFrame, told without importing pandas."""
    return type(value).__name__ == "DataFrame" and hasattr(value, "to_json")


def calls_of(name: str, value: Any) -> list[Any]:
    """The payloads of `-i NAME`, each checked to be JSON before anything is sent."""
    if is_frame(value):
        rows: list[Any] = json.loads(value.to_json(orient="records", date_format="iso"))
        payloads = rows
    elif isinstance(value, dict):
        payloads = [value]
    elif isinstance(value, list | tuple):
        payloads = list(value)
    else:
        raise usage_error(
            f"-i {name}: a {type(value).__name__}; give a dict, a list of dicts or a DataFrame",
            "bad_argument",
        )
    if not payloads:
        raise usage_error(f"-i {name} is empty: nothing to send", "bad_argument")
    for number, payload in enumerate(payloads):
        try:
            json.dumps(payload, allow_nan=False)
        except (TypeError, ValueError) as exc:
            where = "" if isinstance(value, dict) else f" (item {number})"
            raise usage_error(f"-i {name}{where} is not JSON: {exc}", "bad_argument") from None
    return payloads


def answers_for(value: Any, call: Callable[[Any], Any], payloads: list[Any]) -> Any:
    """Call once per payload; the answer for a dict, a list for a list, and for a DataFrame a
    DataFrame with its index (the answers' fields as columns, else one `response` column)."""
    answers = [call(payload) for payload in payloads]
    if isinstance(value, dict):
        return answers[0]
    if not is_frame(value):
        return answers
    import pandas as pd

    if all(isinstance(answer, dict) for answer in answers):
        return pd.DataFrame(answers, index=value.index)
    return pd.DataFrame({"response": answers}, index=value.index)
