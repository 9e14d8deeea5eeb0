"""The local server under load: concurrent clients creating runs and reading them back."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from typing import Any

import requests

from bench.common import Figure, median, new_client, percentile, seed_jobs, verdict

FINAL = {"ENGINE_SUCCEEDED", "ENGINE_FAILED", "ENGINE_STOPPED", "ENGINE_TIMEDOUT"}
TIMEOUT = 10.0  # per request: a stuck server ends the figure, it does not hang it


class Client(threading.Thread):
    """One client: start a run of its own job, read it until it ends, again, until `until`."""

    def __init__(self, url: str, key: str, project: str, job: str, until: float) -> None:
        super().__init__(daemon=True)
        self.base = f"{url}/api/v2/projects/{project}/jobs/{job}/runs"
        self.until = until
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"
        self.created: list[str] = []
        self.latencies: dict[str, list[float]] = {"create": [], "read": []}
        self.errors: Counter[str] = Counter()

    def call(self, kind: str, method: str, url: str) -> dict[str, Any] | None:
        t = time.perf_counter()
        try:
            answer = self.session.request(
                method, url, json={} if method == "POST" else None, timeout=TIMEOUT
            )
        except requests.RequestException as exc:
            self.errors[type(exc).__name__] += 1
            return None
        self.latencies[kind].append(time.perf_counter() - t)
        if answer.status_code != 200:
            self.errors[f"HTTP {answer.status_code}"] += 1
            return None
        body: dict[str, Any] = answer.json()
        return body

    def run(self) -> None:
        while time.monotonic() < self.until:
            run = self.call("create", "POST", self.base)
            if run is None:
                time.sleep(0.05)
                continue
            self.created.append(run["id"])
            while time.monotonic() < self.until:
                seen = self.call("read", "GET", f"{self.base}/{run['id']}")
                if seen is not None and seen["status"] in FINAL:
                    break


def measure(server: Any, clients: int, seconds: float) -> Figure:
    cml = new_client(server.url, server.api_key)
    project = seed_jobs(cml, "bench-load", clients, body="true\n")
    jobs = cml.jobs.list(project=project, page_size=clients)
    proc = _server_process(server)
    server_cpu0 = _cpu(proc)
    cpu0 = time.process_time()
    start = time.monotonic()
    workers = [Client(server.url, server.api_key, project, j.id, start + seconds) for j in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 2 * TIMEOUT)
    wall = time.monotonic() - start
    bench_cpu = (time.process_time() - cpu0) / wall * 100
    server_cpu = (_cpu(proc) - server_cpu0) / wall * 100
    hung = sum(1 for w in workers if w.is_alive())

    lost = duplicated = extra = 0
    for worker, job in zip(workers, jobs, strict=True):
        listed = [r.id for r in cml.runs.list(job.id, project=project, page_size=10_000)]
        counts = Counter(listed)
        duplicated += sum(n - 1 for n in counts.values() if n > 1)
        lost += len(set(worker.created) - set(counts))
        extra += len(set(counts) - set(worker.created))
    creates = [x for w in workers for x in w.latencies["create"]]
    reads = [x for w in workers for x in w.latencies["read"]]
    every = creates + reads
    errors = sum((w.errors for w in workers), Counter())
    runs = sum(len(w.created) for w in workers)

    fig = Figure(f"Local server under load ({clients} clients, {seconds:.0f} s)")
    fig.row("requests per second (all)", f"{len(every) / wall:.0f}")
    fig.row("runs created per second", f"{runs / wall:.1f}", "", "", f"{runs} runs in all")
    fig.row(
        "latency p50 / p99, all",
        f"{median(every) * 1000:.1f} / {percentile(every, 0.99) * 1000:.1f} ms",
    )
    fig.row(
        "latency p50 / p99, create run (POST)",
        f"{median(creates) * 1000:.1f} / {percentile(creates, 0.99) * 1000:.1f} ms",
    )
    fig.row(
        "latency p50 / p99, read run (GET)",
        f"{median(reads) * 1000:.1f} / {percentile(reads, 0.99) * 1000:.1f} ms",
    )
    fig.row(
        "errors",
        f"{sum(errors.values())}" + (f" ({dict(errors)})" if errors else ""),
        "",
        "",
        f"zero: {verdict(not errors)}",
    )
    fig.row(
        "lost / duplicated runs (checked by listing)",
        f"{lost} / {duplicated}",
        "",
        "",
        f"zero: {verdict(lost == 0 and duplicated == 0)}",
    )
    fig.row("runs listed that no client created", f"{extra}")
    fig.row("clients still running after the bound", f"{hung}")
    fig.row(
        "server process CPU (its threads, not the job scripts)", f"{server_cpu:.0f} % of one core"
    )
    fig.row(
        f"load generator CPU ({clients} threads, one process)", f"{bench_cpu:.0f} % of one core"
    )
    fig.limits.append(
        f"Server started with phase_delay={server.phase_delay} s and a `true` job script, so a "
        "run's life is mostly the server's own pacing and one process start. Each client waits "
        "for its run to end before starting the next (one active run per job), reading it in a "
        "tight loop meanwhile. The server is one uvicorn process: sync endpoints run in its "
        "thread pool and every store access is serialised by one lock on one SQLite connection, "
        f"so it cannot use more than about one core of Python: it used {server_cpu:.0f} % of one "
        f"core here, while the load generator took {bench_cpu:.0f} % and the run scripts the "
        f"rest of the {os.cpu_count()} cores."
    )
    return fig


def _server_process(server: Any) -> Any:
    """The local server's process (a child of this one, recognised by its data folder)."""
    import psutil

    for child in psutil.Process().children():
        try:
            if str(server.data_dir) in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    raise RuntimeError("cannot find the local server's process")


def _cpu(proc: Any) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)
