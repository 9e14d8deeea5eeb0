"""How listings are shown: the full DataFrame is returned, its display is kept short."""

from __future__ import annotations

import weakref
from typing import Any


def limit_display(frame: Any, limit: int) -> Any:
    """Make `frame` display at most `limit` rows, with a note saying how many it holds.

    The frame itself is untouched (``df = %cml jobs list`` holds every row); only this
    object's rich display is replaced, so copies and slices display normally. A limit of
    0 or less means no limit.
    """
    if limit <= 0 or len(frame) <= limit:
        return frame
    # A weak reference: the frame must not keep itself alive through its own display.
    ref = weakref.ref(frame)
    total = len(frame)

    def bundle(include: Any = None, exclude: Any = None) -> dict[str, str]:
        import html

        import pandas as pd

        target = ref()
        if target is None:  # pragma: no cover - the frame is gone; nothing to show
            return {}
        head = target.head(limit)
        note = (
            f"{limit} of {total} rows shown; the result holds all {total} "
            "(%config CMLMagics.display_limit = N to change)"
        )
        with pd.option_context("display.max_rows", limit, "display.min_rows", limit):
            text = f"{head!r}\n{note}"
            rich = f"{head._repr_html_()}<p><i>{html.escape(note)}</i></p>"
        return {"text/plain": text, "text/html": rich}

    # IPython looks `_repr_mimebundle_` up on the instance before the class's reprs.
    object.__setattr__(frame, "_repr_mimebundle_", bundle)
    return frame
