"""The status vocabulary belongs to the API; the widgets add only labels and colours."""

from __future__ import annotations

from cml_magic.api import JobRun, statuses
from cml_magic.widgets import status as looks


def test_the_widgets_show_only_statuses_the_api_knows() -> None:
    for kind, words in statuses.BY_KIND.items():
        known = words.active | words.settled | words.final
        assert set(looks._TABLES[kind]) <= known, kind
        assert words.succeeded <= words.final | words.settled
        assert not words.active & (words.final | words.settled)
    assert statuses.RUN.is_final("ENGINE_SKIPPED")
    assert JobRun.from_json({"status": "ENGINE_SKIPPED"}).finished
    assert statuses.BUILD.is_succeeded("BUILT")
    assert statuses.of("deployment").activity("deployed") is statuses.Activity.SETTLED
    assert looks.phase("run", "ENGINE_SKIPPED").activity is statuses.Activity.FINAL
