"""The client's CPU for one request: `cml.runs.get` of a small object, and `cml.refresh` of
it as the live widgets' poller asks, against a bare `requests.Session.get(...).json()` of the
same URL."""

from __future__ import annotations

import os

from bench.common import Figure, median, new_client, run_python, seed_jobs, verdict

# One process: both ways alternate in batches of `count` calls; each batch's CPU is the main
# thread's (time.thread_time: the client's own work, not the server's nor other processes').
CHILD = """
import gc, json, time
import requests
from cml_magic.api import CML

url, key, project, job, run, count, batches = (
    {url!r}, {key!r}, {project!r}, {job!r}, {run!r}, {count!r}, {batches!r}
)
cml = CML(url, key)
session = requests.Session()
quiet = requests.Session()
quiet.trust_env = False  # no scan of the environment for proxies and CA bundles per request
headers = {{"Authorization": "Bearer " + key}}
path = url + "/api/v2/projects/" + project + "/jobs/" + job + "/runs/" + run

def client():
    return cml.runs.get(run, job, project=project)

seen = client()

def poller():  # the live widgets' call: the run's ids from the object, no name to resolve
    return cml.refresh(seen)

def floor():
    return session.get(path, headers=headers, timeout=30).json()

def floor_quiet():
    return quiet.get(path, headers=headers, timeout=30).json()

assert client().id == run and poller().id == run and floor()["id"] == run
ways = {{"client": client, "poller": poller, "floor": floor, "floor_quiet": floor_quiet}}
out = {{w: [] for w in ways}}
gc.disable()  # a collection would land in whichever batch happens to cross the threshold
for _ in range(batches):
    for way, call in ways.items():
        c = time.thread_time()
        for _ in range(count):
            call()
        out[way].append((time.thread_time() - c) / count)
    gc.collect()
print(json.dumps(out))
"""


def measure(server: object, rounds: int, count: int, batches: int) -> Figure:
    url, key = server.url, server.api_key  # type: ignore[attr-defined]
    cml = new_client(url, key)
    project = seed_jobs(cml, f"bench-request-cost-{os.getpid()}", 1)
    job = cml.jobs.list(project=project)[0]
    run = cml.runs.create(job.id, project)
    mins: dict[str, list[float]] = {"client": [], "poller": [], "floor": [], "floor_quiet": []}
    for _ in range(rounds):
        out = run_python(
            CHILD.format(
                url=url,
                key=key,
                project=project,
                job=job.id,
                run=run.id,
                count=count,
                batches=batches,
            )
        )
        for way, values in out.items():
            mins[way].append(min(values))
    ratios = [c / f for c, f in zip(mins["client"], mins["floor"], strict=True)]
    quiet = [c / f for c, f in zip(mins["client"], mins["floor_quiet"], strict=True)]
    polled = [c / f for c, f in zip(mins["poller"], mins["floor_quiet"], strict=True)]
    client, floor = median(mins["client"]), median(mins["floor"])
    ratio = median(ratios)
    fig = Figure("One request's client CPU")
    fig.row(
        "`cml.runs.get(run, job, project=)`: CPU per call (min of batches, median of processes)",
        f"{client * 1e6:.0f} µs",
        f"{floor * 1e6:.0f} µs",
        f"{ratio:.2f}x",
        f"<= 1.2x: {verdict(ratio <= 1.2)}",
    )
    fig.row(
        "ratio per process: min / max",
        f"{min(ratios):.2f}x / {max(ratios):.2f}x",
    )
    fig.row(
        "against a session with `trust_env = False` (no environment scan per request)",
        f"{client * 1e6:.0f} µs",
        f"{median(mins['floor_quiet']) * 1e6:.0f} µs",
        f"{median(quiet):.2f}x",
        f"(stricter) <= 1.2x: {verdict(median(quiet) <= 1.2)}",
    )
    fig.row(
        "`cml.refresh(run)` (the live widgets' poll) against the same session",
        f"{median(mins['poller']) * 1e6:.0f} µs",
        f"{median(mins['floor_quiet']) * 1e6:.0f} µs",
        f"{median(polled):.2f}x",
        f"<= 1.2x: {verdict(median(polled) <= 1.2)}",
    )
    fig.row(
        "CPU per call: lowest / highest process",
        f"{min(mins['client']) * 1e6:.0f} / {max(mins['client']) * 1e6:.0f} µs",
        f"{min(mins['floor']) * 1e6:.0f} / {max(mins['floor']) * 1e6:.0f} µs",
    )
    fig.limits.append(
        "CPU of the calling thread (`time.thread_time`) over batches of "
        f"{count} calls, the ways alternating, {batches} batches each in {rounds} fresh "
        "processes; a figure is a process's fastest batch, the ratio the median over processes "
        "of those. The floor is a bare `requests.Session` (connection reused, Bearer header) "
        "and `.json()`; the client adds its deadline and retry rules, the status check, and a "
        "`JobRun` object of the answer. Garbage collection is off inside the batches."
    )
    fig.limits.append(
        "A default `requests.Session` reads the environment twice per request for proxies and "
        "CA bundles (`merge_environment_settings`, `getproxies_environment`), a cost that grows "
        "with the number of environment variables "
        f"({len(os.environ)} in the environment this ran in); the client reads those variables "
        "once and again only when one of them changes (eleven lookups in `os.environ` per "
        "request), and keeps requests' pool key (a URL parse and a `stat` of the CA bundle) "
        "per origin. Both sessions, even the one that reads no environment, merge the "
        "session's headers, parameters and proxies into each request through requests' "
        "`merge_setting`, whose check of each dict against a runtime Protocol costs ~5 µs "
        "on Python 3.11 (six per request, about 40 µs): left to requests, whose code it is. "
        "The client's own work beyond the floor: the name-or-id check of the parents, its "
        "retry object and deadline per call, reading the answer against the deadline, the "
        "status check and the `JobRun`."
    )
    return fig
