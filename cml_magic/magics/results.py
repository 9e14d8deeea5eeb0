"""How listings are shown: the full DataFrame is returned, its display is kept short and
readable.

The frame itself is untouched (``df = %cml jobs list`` holds every row, full UTC datetimes
and timedeltas); only this object's rich display is replaced, so copies and slices display
as ordinary frames. The display shows times to the second in local time, durations as
`1m 05s`, every cell on one line, at most the display limit of rows, and an empty listing
says so above its empty frame.
"""

from __future__ import annotations

import weakref
from datetime import datetime, timedelta
from typing import Any


def limit_display(frame: Any, limit: int, empty: str = "") -> Any:
    """Make `frame` display readably (see the module) and at most `limit` rows, with a note
    saying how many it holds; `empty` is what an empty frame says (e.g. "no runs yet").

    A limit of 0 or less means no limit.
    """
    # A weak reference: the frame must not keep itself alive through its own display.
    ref = weakref.ref(frame)

    def bundle(include: Any = None, exclude: Any = None) -> dict[str, str]:
        target = ref()
        if target is None:  # pragma: no cover - the frame is gone; nothing to show
            return {}
        return display_bundle(target, limit, empty)

    # IPython looks `_repr_mimebundle_` up on the instance before the class's reprs.
    object.__setattr__(frame, "_repr_mimebundle_", bundle)
    return frame


def display_bundle(frame: Any, limit: int, empty: str = "") -> dict[str, str]:
    """The text and HTML of `frame` as a listing shows it."""
    import html

    import pandas as pd

    total = len(frame)
    cut = 0 < limit < total
    shown = for_display(frame.head(limit) if cut else frame)
    notes = []
    if cut:
        notes.append(
            f"{limit} of {total} rows shown; the result holds all {total} "
            "(%config CMLMagics.display_limit = N to change)"
        )
    if total and any(isinstance(t, pd.DatetimeTZDtype) for t in frame.dtypes):
        notes.append(f"times are local ({_local_offset()})")
    rows = max(len(shown), 1)
    # Every column: the text wraps blocks of columns rather than hiding the middle ones.
    every = ("display.max_columns", None, "display.max_colwidth", None)
    with pd.option_context("display.max_rows", rows, "display.min_rows", rows, *every):
        text = repr(shown)
        table = _html_table(shown)
    head = f"{empty}\n" if empty and not total else ""
    rich_head = f"<p>{html.escape(empty)}</p>" if empty and not total else ""
    text = head + text + "".join(f"\n{n}" for n in notes)
    rich = rich_head + table + "".join(f"<p><i>{html.escape(n)}</i></p>" for n in notes)
    return {"text/plain": text, "text/html": rich}


def for_display(frame: Any) -> Any:
    """A copy of `frame` with times as local `YYYY-MM-DD HH:MM:SS` text and durations as
    `1h 02m 03s` text (blank where there is none)."""
    import pandas as pd

    shown = frame.copy()
    local = datetime.now().astimezone().tzinfo
    for column, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            times = frame[column].dt.tz_convert(local).dt.strftime("%Y-%m-%d %H:%M:%S")
            shown[column] = times.fillna("")
        elif pd.api.types.is_timedelta64_dtype(dtype):
            shown[column] = [duration_text(v) for v in frame[column]]
    return shown


def duration_text(value: Any) -> str:
    """`1h 02m 03s`, `2m 05s`, `4s`; blank for a missing duration."""
    import pandas as pd

    if value is None or pd.isna(value):
        return ""
    seconds = int(round(pd.Timedelta(value).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {seconds:02d}s"
    if minutes:
        return f"{minutes}m {seconds:02d}s"
    return f"{seconds}s"


def _local_offset() -> str:
    offset = datetime.now().astimezone().utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _html_table(shown: Any) -> str:
    """The frame as HTML with no cell wrapped (ids and times stay on one line), floats to two
    places and missing numbers as `nan`, every value escaped.

    `to_html`, not a pandas Styler: a Styler imports jinja2 and compiles its templates, about
    40 ms of a first listing.
    """
    table = shown.to_html(
        classes="cml-listing", border=0, na_rep="nan", float_format="{:.2f}".format
    )
    return (
        "<style>.cml-listing td, .cml-listing th {white-space: nowrap}</style>"
        f'<div style="white-space: nowrap; overflow-x: auto">{table}</div>'
    )
