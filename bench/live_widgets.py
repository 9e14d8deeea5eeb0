"""Live widgets: N runs watched at once by the shared poller, through real RunWidgets."""

from __future__ import annotations

import threading
import time
from typing import Any

from bench.common import Figure, measure_apart, median, new_client, percentile, seed_jobs, verdict

# A status change is seen when the widget's status badge changes; the server stamps each phase
# (starting_at, running_at, finished_at) in the same wall clock.
STAMPS = {
    "ENGINE_STARTING": "starting_at",
    "ENGINE_RUNNING": "running_at",
    "ENGINE_SUCCEEDED": "finished_at",
}


def measure(server: Any, runs: int, run_seconds: float) -> Figure:
    """The figure, measured in a fresh interpreter (`fill`)."""
    fig = Figure(f"Live widgets ({runs} runs)")
    measure_apart(fig, "live_widgets", "fill", server, runs, run_seconds)
    return fig


def fill(fig: Figure, server: Any, runs: int, run_seconds: float) -> None:
    """Watch `runs` runs of `sleep run_seconds` through RunWidgets; add the rows to `fig`."""
    from cml_magic.widgets.poller import get_poller
    from cml_magic.widgets.run_widget import RunWidget

    cml = new_client(server.url, server.api_key)
    project = seed_jobs(cml, "bench-live", runs, body=f"sleep {run_seconds}\n")
    jobs = cml.jobs.list(project=project, page_size=runs)

    sent = count_requests(cml)
    poller = get_poller()
    seen: dict[str, dict[str, float]] = {}
    widgets = []

    def observer(widget: Any) -> Any:
        def changed(_change: Any) -> None:
            first = seen.setdefault(widget.obj.id, {})
            first.setdefault(widget.obj.status, time.time())

        return changed

    started = [cml.runs.create(job.id, project=project) for job in jobs]
    for run in started:
        widget = RunWidget(run, cml, job_name=run.job_id)  # the default, shared poller
        widget.status_html.observe(observer(widget), "value")
        widgets.append(widget)

    cpu0, wall0, n0 = time.process_time(), time.monotonic(), len(sent)
    deadline = wall0 + run_seconds + 60
    sampled = follow_to_the_end(poller, deadline)
    cpu1, wall1 = time.process_time(), time.monotonic()
    finished = sum(1 for w in widgets if w.obj.status == "ENGINE_SUCCEEDED")
    # Where the kernel's CPU goes, one part at a time, on the (now final) runs: process time
    # per status look-up, per render of a fresh copy into a widget, per log download.
    sample = widgets[: min(len(widgets), 30)]
    cpu_get = _cpu_each(lambda w: cml.runs.get(w.obj.id, w.obj.job_id, project=project), sample)
    cpu_render = _cpu_each(lambda w: w.render(w.obj), sample)
    cpu_log = _cpu_each(lambda w: cml.runs.output(w.obj), sample)
    for widget in widgets:
        widget.close()

    finals = [cml.runs.get(w.obj.id, w.obj.job_id, project=project) for w in widgets]
    by_status, late, _missed = judge_changes(finals, seen, sampled, poller.interval)
    latencies = [latency for values in by_status.values() for latency in values]
    in_time = len(latencies) - len(late)
    paces = [pace for _, pace in sampled]
    interval = max([poller.interval, *paces])  # the interval in effect at worst
    window = wall1 - wall0
    in_window = [k for t, k in sent[n0:] if t <= wall1]
    status_rate = in_window.count("status") / window
    log_rate = in_window.count("log") / window
    cpu = (cpu1 - cpu0) / window * 100
    worst = max(latencies) if latencies else float("nan")

    fig.row(f"runs followed to the end by {runs} RunWidgets", f"{finished} of {runs}")
    fig.row(
        "status change -> widget, median",
        f"{median(latencies) * 1000:.0f} ms",
        f"{interval * 1000:.0f} ms (poll interval in effect)",
        f"{median(latencies) / interval:.2f}x",
    )
    fig.row(
        "status change -> widget, p95 / max",
        f"{percentile(latencies, 0.95) * 1000:.0f} / {worst * 1000:.0f} ms",
        f"{interval * 1000:.0f} ms",
        f"{worst / interval:.2f}x",
        f"within one interval: {verdict(worst <= interval)}",
    )
    fig.row(
        "changes shown within the interval in effect when they happened",
        f"{in_time} of {len(latencies)}",
        "",
        "",
        f"late by {max(late)[0] * 1000:.0f} ms at worst ({max(late)[1]})" if late else "",
    )
    fig.row(
        "median / p95 by change: to starting, running, succeeded",
        ", ".join(
            f"{median(v) * 1000:.0f} / {percentile(v, 0.95) * 1000:.0f} ms ({len(v)})"
            for v in by_status.values()
        ),
    )
    fig.row(
        "status look-ups per second",
        f"{status_rate:.1f}",
        f"{runs / interval:.0f} (one per run per interval)",
    )
    fig.row("log downloads per second (output tail)", f"{log_rate:.1f}")
    fig.row(
        "poll interval in effect, median / max while watching",
        f"{median(paces) * 1000:.0f} / {interval * 1000:.0f} ms",
        f"{poller.interval * 1000:.0f} ms (configured)",
    )
    fig.row(
        "requests per second, look-ups and log downloads",
        f"{status_rate + log_rate:.1f}",
        "",
        "",
        rate_cap(poller),
    )
    fig.row(
        "kernel CPU while watching (process time / wall)",
        f"{cpu:.1f} % of one core",
        "",
        "",
        f"< 2 %: {verdict(cpu < 2.0)}",
    )
    fig.row(
        "CPU per HTTP request",
        f"{(cpu1 - cpu0) / max(1, len(in_window)) * 1000:.2f} ms",
    )
    fig.row("CPU per status look-up (`cml.runs.get`)", f"{cpu_get * 1000:.2f} ms")
    fig.row("CPU per render of a fresh copy (`RunWidget.render`)", f"{cpu_render * 1000:.2f} ms")
    fig.row("CPU per log download (`cml.runs.output`)", f"{cpu_log * 1000:.2f} ms")
    if interval > poller.interval:
        fig.limits.append(
            f"The poller sends at most {poller.rate:.1f} requests a second at the end (a token "
            "bucket shared by look-ups and log downloads; look-ups are planned for three "
            "quarters of it) and stretches every interval just enough, to "
            f"{interval:.1f} s at worst with {runs} runs watched (median "
            f"{median(paces):.1f} s); runs in a short step (scheduling, starting, stopping) are "
            "served first when fewer of them are. A status change shows within that interval; "
            f"while the rate allows, within {poller.interval:.1f} s. A higher `max_rate` shortens "
            "the interval and costs CPU, both in proportion."
        )
    if late:
        fig.limits.append(
            f"{len(late)} change(s) showed after the interval in effect between the change and "
            "its display: an item's next look-up is planned with the interval in effect when "
            "the previous one was answered (a drop brings it forward, except for items waiting "
            "after a failure), and a look-up due waits for a token of the rate cap."
        )
    if worst > interval:
        fig.limits.append(
            f"**Missed** (latency, by {(worst - interval) * 1000:.0f} ms at worst): a change "
            "made just after a look-up was answered waits one interval plus the next look-up's "
            "round trip, less the round-trip allowance the poller subtracts."
        )
    if cpu >= 2.0:
        per_lookup = (cpu1 - cpu0) / max(1, len(in_window))
        fig.limits.append(
            f"**Missed**: the kernel spends {per_lookup * 1000:.2f} ms of CPU per HTTP request "
            f"(the look-up itself: {cpu_get * 1000:.2f} ms in requests/urllib3 and "
            f"`JobRun.from_json`; rendering is {cpu_render * 1000:.2f} ms) and sends "
            f"{status_rate + log_rate:.0f} requests/s, {status_rate:.0f} look-ups and "
            f"{log_rate:.0f} log downloads. 2 % of a core is 20 ms/s, about "
            f"{0.02 / per_lookup:.0f} requests/s at this cost. Polling more runs does not fit "
            "that budget without spacing each run's look-ups out (the poller's interval growing "
            "with the number of watched items) and fetching the log tail far less often."
        )
    fig.limits.append(
        f"Each run: {server.phase_delay} s scheduling, {server.phase_delay} s starting, "
        f"`sleep {run_seconds}` running; watched for {window:.1f} s, {len(latencies)} status "
        "changes timed. The shared poller sends one GET per watched run per interval (CML API v2 "
        "has no call that returns several runs of different jobs, and each run here belongs to "
        "its own job), and each RunWidget also downloads its run's log while the run goes on, "
        "spaced out so that all widgets together fetch at most a quarter of the rate cap in "
        "logs, and once when the run ends. "
        "Widgets here have no front end attached, so trait changes send no comm messages (a "
        "real kernel adds that cost). Measured in a fresh interpreter."
    )


def rate_cap(poller: Any) -> str:
    """The poller's rate cap."""
    return f"at most {poller.rate:g}/s (the poller's max_rate)"


def count_requests(cml: Any) -> list[tuple[float, str]]:
    """(monotonic time, "log" or "status") of every request `cml` answers from now on."""
    sent: list[tuple[float, str]] = []
    lock = threading.Lock()

    def count(response: Any, *args: Any, **kwargs: Any) -> None:
        kind = "log" if ":download" in response.url else "status"
        with lock:
            sent.append((time.monotonic(), kind))

    cml.transport.session.hooks["response"].append(count)
    return sent


def follow_to_the_end(poller: Any, deadline: float) -> list[tuple[float, float]]:
    """Wait while `poller` works; returns (wall clock, the interval in effect, stretched to keep
    to the rate cap) every 0.2 s, which judges each change."""
    sampled: list[tuple[float, float]] = []
    # Until the thread ends: final log downloads come after the last look-up.
    while (poller.watched() or poller.running) and time.monotonic() < deadline:
        sampled.append((time.time(), poller.pace))
        time.sleep(0.2)
    return sampled


def judge_changes(
    finals: list[Any],
    seen: dict[str, dict[str, float]],
    sampled: list[tuple[float, float]],
    interval: float,
) -> tuple[dict[str, list[float]], list[tuple[float, str]], int]:
    """The latency of each status change the server stamped on the `finals` (runs as they
    ended), by the status it changed to, from `seen[run id][status]` (when it was first shown);
    the changes shown later than the interval in effect (seconds past it, status); and how many
    stamped changes were never shown."""
    by_status: dict[str, list[float]] = {status: [] for status in STAMPS}
    late: list[tuple[float, str]] = []
    missed = 0
    for final in finals:
        for status, stamp in STAMPS.items():
            at = getattr(final, stamp)
            shown = seen.get(final.id, {}).get(status)
            # finished_at is stamped on any end: a change to succeeded only for a success
            happened = at is not None and (status != "ENGINE_SUCCEEDED" or final.status == status)
            if happened and shown is None:
                missed += 1
            if at is not None and shown is not None:
                latency = shown - at.timestamp()
                by_status[status].append(latency)
                in_effect = [p for t, p in sampled if at.timestamp() - 0.2 <= t <= shown + 0.2]
                past = latency - max(in_effect, default=interval)
                if past > 0:
                    late.append((past, status))
    return by_status, late, missed


def _cpu_each(action: Any, widgets: list[Any]) -> float:
    """Median process time of `action(widget)`, over the widgets (3 passes)."""
    spent = []
    for _ in range(3):
        for widget in widgets:
            t = time.process_time()
            action(widget)
            spent.append(time.process_time() - t)
    return median(spent)
