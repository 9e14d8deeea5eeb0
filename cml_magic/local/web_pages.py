"""Small HTML pages at the web addresses CML's UI uses, so "open in CML" links work against the
local server: a project (`/<owner>/<slug>`), its jobs (`.../jobs`, `.../jobs/<id or number>`),
a run (`.../engines/<run id>`), a model (`.../models/<id>`) and an application
(`.../applications/<id>`). Each shows the name, status, times, the environment (secret-named
values masked) and the log's tail, with links between them.

Who sees what: a browser sends no API key, so an anonymous visitor sees public projects only.
`/login` takes an API key in a POST form (never in the address) and sets an HttpOnly,
SameSite=Strict cookie holding a random session token (the key itself is never stored in the
browser); then the user's own projects show too. `/logout` (POST) ends the session. Every
value on a page is HTML-escaped.
"""

from __future__ import annotations

import html
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from cml_magic.local.store import V2_KEY, Doc
from cml_magic.local.timeutil import ZERO_TIME

router = APIRouter(include_in_schema=False)

COOKIE = "cml_local_session"
LOG_LINES = 40  # the tail of a log a page shows
MASK = "******"
# The local server's own rule (it imports nothing from the client): a name holding one of
# these parts, any case, is secret.
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASS|PWD|CREDENTIAL|PRIVATE|AUTH", re.IGNORECASE)
# First path segments that are the server's own, not a user's.
_RESERVED = frozenset({"api", "login", "logout", "docs", "openapi.json"})

_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; background: #fff; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: left;
white-space: nowrap; border-bottom: 1px solid #ddd; } pre { background: #f4f4f4; padding: 8px;
overflow-x: auto; } .status { font-weight: bold; } nav { margin-bottom: 1em; }
nav > span { float: right; }
.table { overflow-x: auto; max-width: 100%; }
h1, h2, p, nav { overflow-wrap: anywhere; }
@media (prefers-color-scheme: dark) {
  body { color: #e6e6e6; background: #1e1e1e; } a { color: #8ab4f8; }
  pre { background: #2b2b2b; } td, th { border-bottom-color: #444; }
}
"""


def is_secret(name: str) -> bool:
    """True when an environment variable's name says its value must not be shown."""
    return bool(_SECRET.search(name)) and name.upper() not in {"PWD", "OLDPWD"}


def masked(environment: dict[str, Any] | None) -> dict[str, str]:
    """`environment` with the values of secret-named variables as `MASK`."""
    return {k: MASK if is_secret(k) else str(v) for k, v in (environment or {}).items()}


# -- who is looking -------------------------------------------------------------------------


def _sessions(request: Request) -> dict[str, str]:
    """Session token -> user name, kept in the server's memory only."""
    state = request.app.state
    if not hasattr(state, "web_sessions"):
        state.web_sessions = {}
    found: dict[str, str] = state.web_sessions
    return found


def _viewer(request: Request) -> str | None:
    token = request.cookies.get(COOKIE)
    return _sessions(request).get(token) if token else None


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form: the key goes in the POST body."""
    body = (
        "<h1>Sign in to the local CML server</h1>"
        '<form method="post" action="/login">'
        f'<input type="hidden" name="next" value="{_e(_safe_next(next))}">'
        '<label>API key <input type="password" name="key" autocomplete="off"></label> '
        '<button type="submit">Sign in</button></form>'
        "<p>Without signing in, public projects show.</p>"
    )
    return _page("Sign in", body, _viewer(request))


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    user = request.app.state.cml.store.user_by_key(key, V2_KEY) if key else None
    if user is None:
        body = '<p>That API key is not valid here.</p><p><a href="/login">Try again</a></p>'
        return _page("Sign in", body, None, status=401)
    token = secrets.token_urlsafe(32)
    _sessions(request)[token] = user["username"]
    target = _safe_next((form.get("next") or ["/"])[0])
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
    return answer


@router.post("/logout", response_model=None)
def logout(request: Request) -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        _sessions(request).pop(token, None)
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(COOKIE, path="/")
    return answer


def _safe_next(target: str) -> str:
    """Only a path on this server (no `//host`, no scheme) is followed after signing in."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


# -- pages ----------------------------------------------------------------------------------


@router.get("/{owner}/{slug}", response_class=HTMLResponse)
def project_page(request: Request, owner: str, slug: str) -> HTMLResponse:
    store, project, viewer = _project(request, owner, slug)
    pid = project["id"]
    jobs = store.find("job", pid)
    runs = sorted(store.find("run", pid), key=lambda r: r["created_at"], reverse=True)[:10]
    body = _facts(
        ("owner", project["owner"]),
        ("visibility", project.get("visibility", "private")),
        ("description", project.get("description", "")),
        ("created", _time(project.get("created_at"))),
        ("updated", _time(project.get("updated_at"))),
    )
    body += _environment(project.get("environment"))
    body += f'<h2><a href="{_url(project, "jobs")}">Jobs</a></h2>' + _job_table(project, jobs)
    body += "<h2>Recent runs</h2>" + _run_table(project, runs, jobs)
    models = store.find("model", pid)
    body += "<h2>Models</h2>" + _link_list(project, "models", models)
    apps = store.find("application", pid)
    body += "<h2>Applications</h2>" + _link_list(project, "applications", apps)
    return _page(f"Project {project['name']}", body, viewer, _crumbs(project))


@router.get("/{owner}/{slug}/jobs", response_class=HTMLResponse)
def jobs_page(request: Request, owner: str, slug: str) -> HTMLResponse:
    store, project, viewer = _project(request, owner, slug)
    body = _job_table(project, store.find("job", project["id"]))
    return _page(f"Jobs of {project['name']}", body, viewer, _crumbs(project))


@router.get("/{owner}/{slug}/jobs/{ref}", response_class=HTMLResponse)
def job_page(request: Request, owner: str, slug: str, ref: str) -> HTMLResponse:
    store, project, viewer = _project(request, owner, slug)
    jobs = store.find("job", project["id"])
    job = next((j for j in jobs if j["id"] == ref or str(j.get("legacy_id", "")) == ref), None)
    if job is None:
        return _missing(f"no job {ref} in project {project['name']}", viewer)
    runs = sorted(store.find("run", project["id"], job_id=job["id"]), key=lambda r: r["created_at"])
    body = _facts(
        ("script", job.get("script", "")),
        ("arguments", job.get("arguments", "")),
        ("schedule", job.get("schedule", "") or "manual"),
        ("created", _time(job.get("created_at"))),
        ("updated", _time(job.get("updated_at"))),
    )
    body += _environment(job.get("environment"))
    body += "<h2>Runs</h2>" + _run_table(project, runs[::-1], [job])
    return _page(f"Job {job['name']}", body, viewer, _crumbs(project, ("jobs", "Jobs")))


@router.get("/{owner}/{slug}/engines/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, owner: str, slug: str, run_id: str) -> HTMLResponse:
    store, project, viewer = _project(request, owner, slug)
    run = store.get("run", run_id)
    if run is None or run.get("project_id") != project["id"]:
        return _missing(f"no run {run_id} in project {project['name']}", viewer)
    job = store.get("job", run["job_id"]) or {"id": run["job_id"], "name": run["job_id"]}
    job_link = f'<a href="{_url(project, "jobs", job["id"])}">{_e(job["name"])}</a>'
    body = _facts(
        ("job", job_link, True),
        ("status", _status(run["status"]), True),
        ("arguments", run.get("arguments", "")),
        ("created", _time(run.get("created_at"))),
        ("running", _time(run.get("running_at"))),
        ("finished", _time(run.get("finished_at"))),
        ("took", _took(run.get("running_at"), run.get("finished_at"))),
        ("creator", run.get("creator", "")),
    )
    body += _environment(run.get("environment"))
    body += _log(store.run_console(run_id))
    return _page(f"Run {run_id}", body, viewer, _crumbs(project, ("jobs", "Jobs")))


@router.get("/{owner}/{slug}/models/{model_id}", response_class=HTMLResponse)
def model_page(request: Request, owner: str, slug: str, model_id: str) -> HTMLResponse:
    store, project, viewer = _project(request, owner, slug)
    model = store.get("model", model_id)
    if model is None or model.get("project_id") != project["id"]:
        return _missing(f"no model {model_id} in project {project['name']}", viewer)
    builds = sorted(store.find("build", project["id"], model_id=model_id), key=_created)
    deployments = sorted(store.find("deployment", project["id"], model_id=model_id), key=_created)
    body = _facts(
        ("description", model.get("description", "")),
        ("created", _time(model.get("created_at"))),
    )
    rows = [
        [
            b["id"],
            _status(b.get("status", "")),
            _time(b.get("created_at")),
            _time(b.get("built_at")),
        ]
        for b in builds
    ]
    body += "<h2>Builds</h2>" + _table(["id", "status", "created", "built"], rows, raw={1})
    rows = [
        [d["id"], _status(d.get("status", "")), _time(d.get("created_at")), d.get("build_id", "")]
        for d in deployments
    ]
    body += "<h2>Deployments</h2>" + _table(["id", "status", "created", "build"], rows, raw={1})
    if deployments:
        body += _environment(deployments[-1].get("environment"))
    if builds:
        folder = store.projects_dir / project["id"] / ".cml" / "builds"
        body += _log(folder / f"{builds[-1]['id']}.log", "Latest build's log")
    return _page(f"Model {model.get('name', model_id)}", body, viewer, _crumbs(project))


@router.get("/{owner}/{slug}/applications/{app_id}", response_class=HTMLResponse)
def application_page(request: Request, owner: str, slug: str, app_id: str) -> HTMLResponse:
    store, project, viewer = _project(request, owner, slug)
    app = store.get("application", app_id)
    if app is None or app.get("project_id") != project["id"]:
        return _missing(f"no application {app_id} in project {project['name']}", viewer)
    body = _facts(
        ("status", _status(app.get("status", "")), True),
        ("subdomain", app.get("subdomain", "")),
        ("script", app.get("script", "")),
        ("created", _time(app.get("created_at"))),
        ("running", _time(app.get("running_at"))),
        ("stopped", _time(app.get("stopped_at"))),
    )
    body += _environment(app.get("environment"))
    body += _log(store.projects_dir / project["id"] / ".cml" / "applications" / f"{app_id}.log")
    return _page(f"Application {app.get('name', app_id)}", body, viewer, _crumbs(project))


# -- pieces ---------------------------------------------------------------------------------


def _project(request: Request, owner: str, slug: str) -> tuple[Any, Doc, str | None]:
    """The project at `/<owner>/<slug>` if the viewer may see it; an HTML 404 page otherwise."""
    if owner in _RESERVED:
        raise HTTPException(404)  # the API's own addresses answer CML's JSON 404
    store = request.app.state.cml.store
    viewer = _viewer(request)
    found = store.find("project", None, owner=owner, slug=slug)
    project = found[0] if found else None
    if project is None or not (project.get("visibility") == "public" or project["owner"] == viewer):
        raise NotShown(f"no project {owner}/{slug} here", viewer, request.url.path)
    return store, project, viewer


class NotShown(HTTPException):
    def __init__(self, message: str, viewer: str | None, path: str) -> None:
        super().__init__(404, message)
        self.viewer = viewer
        self.path = path


def not_shown_page(exc: NotShown) -> HTMLResponse:
    """The 404 page of a project the viewer cannot see (or that does not exist)."""
    hint = ""
    if exc.viewer is None:
        hint = (
            f'<p>Private projects show after <a href="/login?next={quote(exc.path)}">'
            "signing in</a>.</p>"
        )
    return _page("Not found", f"<p>{_e(str(exc.detail))}</p>{hint}", exc.viewer, status=404)


def _missing(message: str, viewer: str | None) -> HTMLResponse:
    return _page("Not found", f"<p>{_e(message)}</p>", viewer, status=404)


def _page(
    title: str, body: str, viewer: str | None, crumbs: str = "", status: int = 200
) -> HTMLResponse:
    who = (
        f'signed in as {_e(viewer)} <form method="post" action="/logout" style="display:inline">'
        '<button type="submit">Sign out</button></form>'
        if viewer
        else '<a href="/login">Sign in</a>'
    )
    text = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head><body><nav>{crumbs} <span>{who}</span></nav>"
        f"<h1>{_e(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(text, status_code=status)


def _crumbs(project: Doc, *parts: tuple[str, str]) -> str:
    links = [f'<a href="{_url(project)}">{_e(project["owner"])}/{_e(project["name"])}</a>']
    links += [f'<a href="{_url(project, path)}">{_e(label)}</a>' for path, label in parts]
    return " / ".join(links)


def _url(project: Doc, *parts: str) -> str:
    return "/".join([f"/{quote(project['owner'])}/{quote(project['slug'])}", *map(quote, parts)])


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _time(value: Any) -> str:
    """`2026-12-01 22:10:57 UTC`; a dash for CML's zero time (a phase not reached)."""
    text = str(value or "")
    if not text or text == ZERO_TIME or text.startswith("0001-"):
        return "–"
    return text[:19].replace("T", " ") + " UTC"


def _took(start: Any, end: Any) -> str:
    """`1m 05s` from `start` to `end` (ISO times); a dash while either is missing."""
    from datetime import datetime

    if _time(start) == "–" or _time(end) == "–":
        return "–"
    seconds = int(
        (datetime.fromisoformat(str(end)) - datetime.fromisoformat(str(start))).total_seconds()
    )
    minutes, seconds = divmod(max(seconds, 0), 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def _created(doc: Doc) -> str:
    return str(doc.get("created_at", ""))


def _status(status: str) -> str:
    return f'<span class="status">{_e(status)}</span>'


def _facts(*rows: tuple[Any, ...]) -> str:
    """A two-column table; a row `(name, html, True)` holds ready HTML."""
    cells = [
        f"<tr><th>{_e(row[0])}</th><td>{row[1] if len(row) > 2 else _e(row[1])}</td></tr>"
        for row in rows
    ]
    return _boxed(f"<table>{''.join(cells)}</table>")


def _table(
    header: list[str], rows: list[list[Any]], raw: set[int] | frozenset[int] = frozenset()
) -> str:
    if not rows:
        return "<p>none yet</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{v if i in raw else _e(v)}</td>" for i, v in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return _boxed(f"<table><tr>{head}</tr>{body}</table>")


def _boxed(table: str) -> str:
    """`table` in a box of its own that scrolls sideways: a table wider than the window (its
    cells do not wrap) never makes the page itself scroll sideways."""
    return f'<div class="table">{table}</div>'


def _environment(environment: dict[str, Any] | None) -> str:
    shown = masked(environment)
    rows = [[k, v] for k, v in sorted(shown.items())]
    return "<h2>Environment</h2>" + _table(["name", "value"], rows)


def _job_table(project: Doc, jobs: list[Doc]) -> str:
    rows = [
        [f'<a href="{_url(project, "jobs", j["id"])}">{_e(j["name"])}</a>', j.get("script", "")]
        for j in jobs
    ]
    return _table(["job", "script"], rows, raw={0})


def _run_table(project: Doc, runs: list[Doc], jobs: list[Doc]) -> str:
    names = {j["id"]: j["name"] for j in jobs}
    rows = [
        [
            f'<a href="{_url(project, "engines", r["id"])}">{_e(r["id"])}</a>',
            _e(names.get(r["job_id"], r["job_id"])),
            _status(r["status"]),
            _e(_time(r.get("created_at"))),
            _e(_time(r.get("finished_at"))),
        ]
        for r in runs
    ]
    return _table(["run", "job", "status", "created", "finished"], rows, raw={0, 1, 2, 3, 4})


def _link_list(project: Doc, kind: str, docs: list[Doc]) -> str:
    rows = [
        [
            f'<a href="{_url(project, kind, d["id"])}">{_e(d.get("name", d["id"]))}</a>',
            d.get("status", ""),
        ]
        for d in docs
    ]
    return _table(["name", "status"], rows, raw={0})


def _log(path: Path, title: str = "Log") -> str:
    """The last `LOG_LINES` lines of a log file (none yet when it does not exist)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    tail = "\n".join(lines[-LOG_LINES:])
    return f"<h2>{_e(title)}</h2><pre>{_e(tail) if tail else 'nothing yet'}</pre>"
