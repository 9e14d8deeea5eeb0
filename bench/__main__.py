"""`python -m bench [--quick] [--only NAME ...] [--out PATH]`: measure, then write the report."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    bulk_listing,
    extension_load,
    first_listing,
    live_widgets,
    paged_listing,
    request_cost,
    server_load,
    sweep_widget,
)
from bench.common import ROOT, Figure, machine, new_client, seed_jobs
from bench.report import render

FIGURES = ("load", "first", "bulk", "paged", "request", "live", "server", "sweep")
FULL = {
    "repeats": 10,
    "first": 7,
    "jobs": 10_000,
    "bulk": 3,
    "paged": 4,  # processes, each timing both ways `paged_reps` times
    "paged_reps": 5,
    "request": 5,  # processes, each `request_batches` batches of `request_calls` per way
    "request_batches": 7,
    "request_calls": 300,
    "runs": 100,
    "sleep": 20,
    "clients": 20,
    "seconds": 30.0,
}
QUICK = {
    "repeats": 3,
    "first": 3,
    "jobs": 2_000,
    "bulk": 1,
    "paged": 2,
    "paged_reps": 2,
    "request": 2,
    "request_batches": 3,
    "request_calls": 100,
    "runs": 30,
    "sleep": 4,
    "clients": 20,
    "seconds": 8.0,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller loads")
    parser.add_argument("--only", nargs="+", choices=FIGURES, help="measure only these")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    from cml_magic.local import LocalCML

    size = QUICK if args.quick else FULL
    wanted = args.only or FIGURES
    started = time.monotonic()
    figures: list[Figure] = []

    def step(name: str) -> None:
        print(f"bench: {name} ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    if "load" in wanted:
        step("extension load")
        figures.append(extension_load.measure(size["repeats"]))
    if "first" in wanted or "bulk" in wanted or "request" in wanted:
        with LocalCML(seed="demo") as server:
            if "first" in wanted:
                step("first listing")
                figures.append(first_listing.measure(server, size["first"]))
            if "bulk" in wanted:
                step("bulk listing")
                figures.append(bulk_listing.measure(server, size["jobs"], size["bulk"]))
            if "request" in wanted:
                step("one request's CPU")
                figures.append(
                    request_cost.measure(
                        server, size["request"], size["request_calls"], size["request_batches"]
                    )
                )
    if "paged" in wanted:
        step("paged listing")
        with LocalCML(seed="demo", max_page_size=paged_listing.PAGE) as server:
            project = seed_jobs(new_client(server.url, server.api_key), "bench-paged", size["jobs"])
            figures.append(
                paged_listing.measure(
                    server, project, size["jobs"], size["paged"], size["paged_reps"]
                )
            )
    if "live" in wanted:
        step("live widgets")
        with LocalCML(seed="demo", phase_delay=1.0) as server:
            figures.append(live_widgets.measure(server, size["runs"], size["sleep"]))
    if "server" in wanted:
        step("server under load")
        with LocalCML(seed="demo", phase_delay=0.05) as server:
            figures.append(server_load.measure(server, size["clients"], size["seconds"]))
    if "sweep" in wanted:
        step("sweep widget")
        with LocalCML(seed="demo", phase_delay=sweep_widget.PHASE) as server:
            figures.append(sweep_widget.measure(server, size["runs"], size["sleep"]))
    took = time.monotonic() - started
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = render(machine(), date, "quick" if args.quick else "full", took, figures, [])
    args.out.write_text(page)
    step(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
