"""The local server's web pages ("open in CML") in headless Chromium: follow the links from a
project to a job and its run, read the masked environment and the log, sign in through the
form to open a private project; open an application from its project and go back."""

from __future__ import annotations

import pytest
from support.lab import artifacts, chromium_page, save, sideways
from support.waits import wait_for
from test_widgets_in_lab import CHROMIUM, pytestmark  # noqa: F401 - the skips

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

PAGE_MS = 20_000
# Narrow, so that a screenshot of the whole page is about as wide as what it shows.
VIEWPORT = {"width": 960, "height": 200}
NARROW = {"width": 600, "height": 400}


def fits_a_narrow_window(page, url: str, shots, name: str) -> int:
    """`url` in a 600 px window: the page never scrolls sideways; a table wider than that
    scrolls in its own box. The number of tables that do."""
    page.set_viewport_size(NARROW)
    page.goto(url, timeout=PAGE_MS)
    seen = sideways(page)
    save(page, shots / f"{name}-600px.png", full_page=True)
    assert seen["page"] == 0, seen
    wide = [t for t in seen["tables"] if t["box"] > 0]
    assert all(t["scrolls"] == "auto" for t in wide), seen
    # Each such box does scroll: moved sideways, it stays moved.
    moved = page.evaluate(
        "() => [...document.querySelectorAll('table')].map((t) => t.parentElement)"
        ".filter((b) => b.scrollWidth > b.clientWidth)"
        ".map((b) => { b.scrollLeft = 200; return b.scrollLeft; })"
    )
    assert len(moved) == len(wide) and all(left > 0 for left in moved), moved
    page.set_viewport_size(VIEWPORT)
    return len(wide)


def both_themes(page, name: str, shots) -> None:
    """`name.png` and `name-dark.png`: the whole page in the light and the dark scheme."""
    save(page, shots / f"{name}.png", full_page=True)
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(30, 30, 30)"
    save(page, shots / f"{name}-dark.png", full_page=True)
    page.emulate_media(color_scheme="light")


# A spec for the spec page, with a path and a field name longer than a narrow window.
SPEC = {
    "swagger": "2.0",
    "info": {"title": "CML", "version": "2"},
    "paths": {
        "/api/v2/projects/{project_id}/applications/{application_id}/"
        "a-very-long-custom-method-name-without-any-break:restart": {
            "post": {
                "operationId": "RestartApplicationWithAVeryLongOperationIdentifierName",
                "summary": "Restart it.",
                "tags": ["CMLService"],
                "parameters": [{"name": "project_id", "in": "path", "type": "string"}],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
    "definitions": {
        "Thing": {"properties": {"a_field_name_much_longer_than_any_window_is_wide_" * 3: {}}}
    },
}


@pytest.fixture
def pages_server(local_cml_factory, tmp_path):
    """A server of its own, with one finished run of nightly holding a secret (and a small
    spec of its own for the spec page)."""
    import json

    from cml_magic.api import CML

    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    server = local_cml_factory(spec=spec)
    with CML(server.url, server.api_key, project="risk-analysis") as cml:
        run = cml.runs.create(
            "nightly", environment={"DB_PASSWORD": "hunter2-secret", "ANALYSIS_SECONDS": "0"}
        )
        cml.wait_for_run(run, timeout=60, poll_interval=0.1)
    return server, run


def test_links_lead_from_project_to_run_and_signing_in_opens_a_private_project(
    pages_server, tmp_path
) -> None:
    server, run = pages_server
    shots = artifacts(tmp_path)
    with chromium_page(CHROMIUM, VIEWPORT) as page:
        page.goto(f"{server.url}/alice/risk-analysis", timeout=PAGE_MS)
        expect(page.locator("h1")).to_have_text("Project risk-analysis")
        both_themes(page, "web-project-page", shots)
        page.get_by_role("link", name="nightly").first.click()
        expect(page.locator("h1")).to_have_text("Job nightly")
        page.get_by_role("link", name=run.id).click()
        expect(page.locator("h1")).to_have_text(f"Run {run.id}")
        expect(page.locator(".status")).to_have_text("ENGINE_SUCCEEDED")
        row = page.locator("tr", has_text="DB_PASSWORD")
        expect(row).to_contain_text("******")
        assert "hunter2-secret" not in page.content()
        expect(page.locator("pre")).not_to_have_text("nothing yet")
        expect(page.locator("tr", has_text="took")).to_contain_text("s")
        both_themes(page, "web-run-page", shots)
        project = f"{server.url}/alice/risk-analysis"
        # The runs' table (id, job, status, two times) is wider than 600 px: it scrolls.
        assert fits_a_narrow_window(page, project, shots, "web-project-page") >= 1
        job = page.get_by_role("link", name="nightly").first.get_attribute("href")
        for path in ("/jobs", f"/engines/{run.id}"):
            fits_a_narrow_window(page, project + path, shots, "web-narrow")
        fits_a_narrow_window(page, f"{server.url}{job}", shots, "web-job-page")
        # The spec page: a long path in a table wraps rather than widen the page.
        spec = f"{server.url}/api/v2/swagger.html"
        assert fits_a_narrow_window(page, spec, shots, "web-spec-page") == 0
        page.goto(project, timeout=PAGE_MS)

        page.goto(f"{server.url}/alice/churn-model", timeout=PAGE_MS)
        expect(page.locator("h1")).to_have_text("Not found")
        page.get_by_role("link", name="signing in").click()
        page.locator("input[name=key]").fill(server.api_key)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("h1")).to_have_text("Project churn-model")
        expect(page.get_by_role("link", name="train")).to_be_visible()
        assert page.url == f"{server.url}/alice/churn-model"  # no key in the address
        assert page.evaluate("document.cookie") == ""  # the session cookie is HttpOnly
        page.get_by_role("button", name="Sign out").click()
        page.goto(f"{server.url}/alice/churn-model", timeout=PAGE_MS)
        expect(page.locator("h1")).to_have_text("Not found")


@pytest.fixture
def app_server(local_cml_factory):
    """A server of its own, with one running application holding a secret (and a built
    model, for its page's picture)."""
    from cml_magic.api import CML

    server = local_cml_factory()
    with CML(server.url, server.api_key, project="risk-analysis") as cml:
        model = cml.models.create("scorer", description="scores risk")
        build = cml.builds.create(model.id, "predict.py", "predict")
        cml.wait_for_build(build, timeout=60, poll_interval=0.1)
        app = cml.applications.create(
            "dashboard",
            "app.py",
            "dash",
            environment={"DASH_TOKEN": "t0k-secret-value", "DASH_TITLE": "Risk"},
        )
        wait_for(
            lambda: cml.applications.get(app.id).status == "APPLICATION_RUNNING",
            "the application to run",
            60,
        )
    return server, app


def test_an_application_page_shows_its_status_masked_environment_and_project(
    app_server, tmp_path
) -> None:
    server, app = app_server
    shots = artifacts(tmp_path)
    with chromium_page(CHROMIUM, VIEWPORT) as page:
        page.goto(f"{server.url}/alice/risk-analysis", timeout=PAGE_MS)
        page.get_by_role("link", name="scorer").click()
        expect(page.locator("h1")).to_have_text("Model scorer")
        expect(page.locator("table").nth(1)).to_contain_text("built")
        both_themes(page, "web-model-page", shots)
        page.go_back()
        page.get_by_role("link", name="dashboard").click()
        expect(page.locator("h1")).to_have_text("Application dashboard")
        assert page.url.endswith(f"/alice/risk-analysis/applications/{app.id}")
        expect(page.locator(".status")).to_have_text("APPLICATION_RUNNING")
        expect(page.locator("tr", has_text="script")).to_contain_text("app.py")
        expect(page.locator("tr", has_text="DASH_TITLE")).to_contain_text("Risk")
        expect(page.locator("tr", has_text="DASH_TOKEN")).to_contain_text("******")
        assert "t0k-secret-value" not in page.content()
        both_themes(page, "web-app-page", shots)
        app_url = page.url
        fits_a_narrow_window(page, app_url, shots, "web-app-page")
        page.goto(f"{server.url}/alice/risk-analysis", timeout=PAGE_MS)
        model_url = page.get_by_role("link", name="scorer").get_attribute("href")
        fits_a_narrow_window(page, f"{server.url}{model_url}", shots, "web-model-page")
        page.goto(app_url, timeout=PAGE_MS)
        page.locator("nav").get_by_role("link", name="alice/risk-analysis").click()
        expect(page.locator("h1")).to_have_text("Project risk-analysis")
        assert page.url == f"{server.url}/alice/risk-analysis"
