"""Bulk listing: N jobs on the local server to a DataFrame, against a plain requests floor."""

from __future__ import annotations

import time

from bench.common import Figure, median, new_client, run_python, seed_jobs, verdict

MAX_PAGE = 100_000  # the largest page size the local server takes

# One fresh process per repeat and way: time one listing, then measure the peak of a second
# with tracemalloc (kept out of the timed one, it slows allocation). Session.send is wrapped
# only to count requests and sum their `elapsed` (server + loopback).
CHILD = """
import gc, json, sys, time, tracemalloc
import pandas as pd
import requests
from cml_magic.api import CML
from cml_magic.frames import to_frame

url, key, project, way = {url!r}, {key!r}, {project!r}, {way!r}
sent = []
send = requests.Session.send
def counted(self, request, **kw):
    response = send(self, request, **kw)
    sent.append(response.elapsed.total_seconds())
    return response
requests.Session.send = counted

def client():
    cml = CML(url, key)
    return to_frame(cml.jobs.list(project=project))

def client_max():
    cml = CML(url, key)
    return to_frame(cml.jobs.list(project=project, page_size={max_page}))

def floor():
    session = requests.Session()
    rows, token = [], ""
    while True:
        answer = session.get(
            url + "/api/v2/projects/" + project + "/jobs",
            params={{"page_size": {max_page}, "page_token": token or None}},
            headers={{"Authorization": "Bearer " + key}},
            timeout=120,
        )
        answer.raise_for_status()
        body = json.loads(answer.content)
        rows += body["jobs"]
        token = body.get("next_page_token")
        if not token:
            break
    return pd.DataFrame(rows)

run = {{"client": client, "client_max": client_max, "floor": floor}}[way]
t = time.perf_counter()
frame = run()
took = time.perf_counter() - t
rows, requests_sent, server = len(frame), len(sent), sum(sent)
del frame
gc.collect()
tracemalloc.start()
frame = run()
peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print(json.dumps({{"time": took, "peak": peak, "rows": rows, "requests": requests_sent,
                  "server": server}}))
"""

WAYS = {
    "client": "`to_frame(cml.jobs.list(project))` (client defaults)",
    "client_max": f"`to_frame(cml.jobs.list(project, page_size={MAX_PAGE}))`",
    "floor": f"floor: requests loop (page_size={MAX_PAGE}) + json + DataFrame",
}


def measure(server: object, jobs: int, repeats: int) -> Figure:
    url, key = server.url, server.api_key  # type: ignore[attr-defined]
    cml = new_client(url, key)
    started = time.perf_counter()
    project = seed_jobs(cml, "bench-bulk", jobs)
    seeding = time.perf_counter() - started
    results: dict[str, dict[str, list[float]]] = {w: {} for w in WAYS}
    for i in range(repeats):
        for way in WAYS:  # interleaved, so drift hits every way alike
            if way == "client" and i > 0:
                continue  # tens of seconds a go at 10,000 jobs (see below); once is enough
            out = run_python(
                CHILD.format(url=url, key=key, project=project, way=way, max_page=MAX_PAGE)
            )
            if out["rows"] != jobs:
                raise RuntimeError(f"{way} listed {out['rows']} jobs, not {jobs}")
            for name, value in out.items():
                results[way].setdefault(name, []).append(value)
    med = {w: {k: median(v) for k, v in r.items()} for w, r in results.items()}
    floor = med["floor"]
    fig = Figure(f"Bulk listing ({jobs:,} jobs)")
    for way, label in WAYS.items():
        m = med[way]
        is_floor = way == "floor"
        fig.row(
            f"{label}: time",
            f"{m['time']:.2f} s",
            "" if is_floor else f"{floor['time']:.2f} s",
            "" if is_floor else f"{m['time'] / floor['time']:.2f}x",
            "" if is_floor else f"<= 1.15x: {verdict(m['time'] <= 1.15 * floor['time'])}",
        )
        fig.row(
            f"{label}: of which server + loopback",
            f"{m['server']:.2f} s",
            "" if is_floor else f"{floor['server']:.2f} s",
        )
        fig.row(
            f"{label}: peak memory (tracemalloc)",
            f"{m['peak'] / 2**20:.0f} MiB",
            "" if is_floor else f"{floor['peak'] / 2**20:.0f} MiB",
            "" if is_floor else f"{m['peak'] / floor['peak']:.2f}x",
            "" if is_floor else f"<= 1.5x: {verdict(m['peak'] <= 1.5 * floor['peak'])}",
        )
        fig.row(
            f"{label}: HTTP requests",
            f"{m['requests']:.0f}",
            "" if is_floor else f"{floor['requests']:.0f}",
            "",
            "" if is_floor else f"<= floor: {verdict(m['requests'] <= floor['requests'])}",
        )
    fig.limits.append(
        f"Seeding {jobs:,} jobs through the API took {seeding:.0f} s. {repeats} repeats of the "
        "page_size and floor ways, one of the client-default way; each in its own fresh "
        "process, ways interleaved."
    )
    return fig
