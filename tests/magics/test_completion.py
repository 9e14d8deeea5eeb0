"""Tab completion through IPython's own completer."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.completer import provisionalcompleter


def complete(ip: Any, line: str) -> list[str]:
    """What IPython offers at the end of `line` (as Tab in a notebook would)."""
    with provisionalcompleter():
        return [c.text for c in ip.Completer.completions(line, len(line))]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("%cml jo", ["jobs"]),
        ("%cml ", ["apps", "builds", "config", "deployments", "jobs", "login", "use"]),
        ("%cml jobs r", ["run"]),
        ("%cml jobs st", ["start-v1"]),
        ("%cml jobs list --pr", ["--project"]),
        ("%cml runs list --st", ["--status"]),
        ("%cml runs list --status f", ["failed"]),
        ("%cml models build --fu", ["--function"]),
        ("%cml help jo", ["jobs"]),
        ("%%cml_job_env nightly --wa", ["--wait", "--watch"]),
        ("%cml pa", ["panel"]),
        ("%cml panel ", ["projects", "jobs", "models", "apps"]),
        ("%cml panel jobs --j", ["--job"]),
    ],
)
def test_completes_commands_verbs_flags_and_choices(
    ip: Any, line: str, expected: list[str]
) -> None:
    matches = complete(ip, line)
    for word in expected:
        assert word in matches


def jobs(*names: str) -> list[Any]:
    """Job results as a listing gives them (the cache groups names by result type)."""
    from cml_magic.api import Job

    return [Job.from_json({"id": f"j{i}", "name": name}) for i, name in enumerate(names)]


def test_offers_names_seen_in_earlier_results(ip: Any, magics: Any) -> None:
    magics.names.remember(jobs("nightly", "nightly-backfill", "fit"))
    assert complete(ip, "%cml jobs run nig") == ["nightly", "nightly-backfill"]
    assert complete(ip, "%cml runs list --job f") == ["fit"]
    assert "nightly" in complete(ip, "%%cml_job_env ni")


def test_only_cml_words_on_cml_lines(ip: Any) -> None:
    assert complete(ip, "%cml jobs list --pr") == ["--project"]
    assert "print" not in complete(ip, "%cml ")
    assert "print" in complete(ip, "pri")  # other lines complete as before


def test_nothing_for_unknown_words_and_no_error(ip: Any) -> None:
    assert "jobs" not in complete(ip, "%cml nosuch ver")
    assert not [m for m in complete(ip, "%cml jobs nosuch --x") if m.startswith("--")]


def test_panel_names_are_offered_once(ip: Any) -> None:
    assert "jobs" not in complete(ip, "%cml panel models ")
    assert complete(ip, "%cml panel -p risk ") == complete(ip, "%cml panel ")


def test_an_options_value_is_not_the_first_argument(ip: Any, magics: Any) -> None:
    magics.names.remember(jobs("nightly", "fit"))
    assert complete(ip, "%cml jobs show -p risk-analysis ni") == ["nightly"]
    assert "nightly" not in complete(ip, "%cml jobs show fit -p risk-analysis ")
    assert complete(ip, "%%cml_job_env -p risk-analysis ni") == ["nightly"]
    assert "nightly" not in complete(ip, "%%cml_job_env nightly ")  # the job is given
    assert "jobs" not in complete(ip, "%cml panel -o ")  # a variable name, not a panel
