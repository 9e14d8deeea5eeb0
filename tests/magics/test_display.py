"""Listings display up to the limit but keep every row."""

from __future__ import annotations

from typing import Any

import pandas as pd

from cml_magic.magics.results import limit_display

# What a notebook frontend asks for (the test shell is a terminal one: text only).
BOTH = {"text/plain", "text/html"}


def test_display_is_cut_but_the_frame_is_whole(ip: Any) -> None:
    frame = limit_display(pd.DataFrame({"name": [f"job-{i}" for i in range(100)]}), 5)
    assert len(frame) == 100
    data, _ = ip.display_formatter.format(frame, include=BOTH)
    html, text = data["text/html"], data["text/plain"]
    assert "5 of 100 rows shown" in html and "5 of 100 rows shown" in text
    assert "job-4" in html and "job-5" not in html
    assert "job-99" not in text
    # Derived frames are ordinary frames again.
    data, _ = ip.display_formatter.format(frame.tail(3), include=BOTH)
    assert "rows shown" not in data["text/plain"]
    assert "job-99" in data["text/plain"]


def test_short_frames_and_no_limit_are_untouched(ip: Any) -> None:
    small = limit_display(pd.DataFrame({"a": range(3)}), 5)
    unlimited = limit_display(pd.DataFrame({"a": range(30)}), 0)
    for frame in (small, unlimited):
        data, _ = ip.display_formatter.format(frame, include=BOTH)
        assert "rows shown" not in data["text/plain"]
