"""`%cml jobs list --all-projects` and `%cml models list --all-projects` through a real shell
against the magics' local server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from support.swagger import Recorder

from cml_magic import frames
from cml_magic.api import CML


@pytest.fixture(scope="module")
def bobs(magic_server: Any) -> Iterator[dict[str, str]]:
    """bob's public and private project, each with a job and a model named after a tag."""
    tag = uuid.uuid4().hex[:8]
    names = {"tag": tag, "public": f"bob-pub-{tag}", "private": f"bob-priv-{tag}"}
    with CML(magic_server.url, magic_server.keys["bob"], timeout=10.0) as bob:
        made = []
        try:
            for visibility in ("public", "private"):
                project = bob.projects.create(
                    names[visibility], template="python", visibility=visibility
                )
                made.append(project.id)
                bob.jobs.create(f"{names[visibility]}-job", "fit.py", project=project.id)
                bob.models.create(f"{names[visibility]}-model", project=project.id)
            yield names
        finally:
            for project_id in made:
                bob.projects.delete(project_id)


@pytest.fixture
def recorder(cml_ip: Any, magics: Any) -> Recorder:
    """Every request the magics' client sends from now on, checked against CML's spec."""
    seen = Recorder()
    seen.watch(magics.client().transport.session)
    return seen


def test_jobs_of_every_project_without_a_default_project(
    cml_ip: Any, magics: Any, bobs: dict[str, str], recorder: Recorder
) -> None:
    assert not magics.project  # no %cml use
    cml_ip.run_cell("df = %cml jobs list --all-projects -o everywhere")
    df = cml_ip.user_ns["df"]
    assert isinstance(df, pd.DataFrame) and cml_ip.user_ns["everywhere"] is df
    assert tuple(df.columns) == frames.with_project_column(frames.COLUMNS["job"])
    assert list(df.columns[:3]) == ["id", "name", "project"]
    project_of = dict(zip(df["name"], df["project"], strict=True))
    assert project_of["nightly"] == "risk-analysis" and project_of["train"] == "churn-model"
    assert project_of[f"{bobs['public']}-job"] == bobs["public"]
    assert f"{bobs['private']}-job" not in project_of
    assert [r.path_url.split("?")[0] for r in recorder.requests] == ["/api/v2/jobs"]
    assert not recorder.problems, recorder.problems


def test_search_and_limit_across_projects(cml_ip: Any, bobs: dict[str, str]) -> None:
    df = cml_ip.run_line_magic("cml", f"jobs list --all-projects --search {bobs['tag']}")
    assert list(df["name"]) == [f"{bobs['public']}-job"]
    assert list(df["project"]) == [bobs["public"]]
    assert len(cml_ip.run_line_magic("cml", "jobs list --all-projects --limit 2")) == 2
    filtered = cml_ip.run_line_magic(
        "cml", 'jobs list --all-projects --filter \'{"script": "fit.py"}\' --limit 50'
    )
    assert "fit" in set(filtered["name"]) and set(filtered["script"]) == {"fit.py"}


def test_models_of_every_project(cml_ip: Any, bobs: dict[str, str], recorder: Recorder) -> None:
    df = cml_ip.run_line_magic("cml", f"models list --all-projects --search {bobs['tag']}")
    assert tuple(df.columns) == frames.with_project_column(frames.COLUMNS["model"])
    assert list(zip(df["name"], df["project"], strict=True)) == [
        (f"{bobs['public']}-model", bobs["public"])
    ]
    empty = cml_ip.run_line_magic("cml", f"models list --all-projects --search none-{bobs['tag']}")
    assert empty.empty and tuple(empty.columns) == tuple(df.columns)
    assert {r.path_url.split("?")[0] for r in recorder.requests} == {"/api/v2/models"}


def test_one_project_listing_keeps_its_columns(cml_ip: Any) -> None:
    df = cml_ip.run_line_magic("cml", "jobs list --project risk-analysis")
    assert tuple(df.columns) == frames.COLUMNS["job"]


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ("--project risk-analysis", "drop --project"),
        ("-p risk-analysis", "drop --project"),
        ("--sort name", "takes no sort"),
        ("--sort=-created_at --limit 3", "takes no sort"),
    ],
)
@pytest.mark.parametrize("resource", ["jobs", "models"])
def test_conflicting_options_are_one_line_errors_before_any_request(
    cml_ip: Any, magics: Any, resource: str, options: str, says: str
) -> None:
    cml_ip.run_line_magic("cml", "use risk-analysis")  # a default project changes nothing
    recorder = Recorder()
    recorder.watch(magics.client().transport.session)  # the client `use` left in place
    with pytest.raises(UsageError, match=says) as caught:
        cml_ip.run_line_magic("cml", f"{resource} list --all-projects {options}")
    assert caught.value.kind == "bad_argument"
    assert "\n" not in str(caught.value) and "--all-projects" in str(caught.value)
    assert recorder.requests == []
    cml_ip.run_line_magic("cml", f"{resource} list --all-projects --limit 1")
    assert len(recorder.requests) == 1  # the recorder does see requests


def test_conflicts_are_found_before_the_settings_are_needed(ip: Any) -> None:
    """Not even a host is configured: the options are judged first."""
    with pytest.raises(UsageError, match="takes no sort"):
        ip.run_line_magic("cml", "jobs list --all-projects --sort name")
    with pytest.raises(UsageError, match="no CML host"):
        ip.run_line_magic("cml", "jobs list --all-projects")


def test_help_and_completion_offer_the_flag(ip: Any) -> None:
    from IPython.core.completer import provisionalcompleter

    for resource in ("jobs", "models"):
        with capture_output() as shown:
            ip.run_line_magic("cml", f"{resource} list --help")
        assert "--all-projects" in shown.stdout and "no --sort" in shown.stdout
        with capture_output() as overview:
            ip.run_line_magic("cml", f"help {resource}")
        assert "--all-projects" in overview.stdout
        line = f"%cml {resource} list --al"
        with provisionalcompleter():
            offered = [c.text for c in ip.Completer.completions(line, len(line))]
        assert "--all-projects" in offered
    with capture_output() as shown:
        ip.run_line_magic("cml", "apps list --help")
    assert "--all-projects" not in shown.stdout  # CML lists applications per project only
