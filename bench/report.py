"""docs/benchmarks.md from the measured figures."""

from __future__ import annotations

from bench.common import Figure

HEADER = ("measure", "median", "floor", "ratio", "target")


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return lines


def render(
    machine: dict[str, str],
    date: str,
    mode: str,
    took: float,
    figures: list[Figure],
    intro: list[str],
) -> str:
    """The whole page as Markdown."""
    out = [
        "# Benchmarks",
        "",
        f"Written by `python -m bench{' --quick' if mode == 'quick' else ''}` on {date} "
        f"({mode} run, {took:.0f} s). Every figure is the median of several runs; a floor is "
        "measured in the same run, on the same machine, and *ratio* is median / floor. Targets "
        "come from the project's benchmark issue; a missed target says so below, with its "
        "measured cause. These are measurements of one machine, not guarantees.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
    ]
    out += [f"| {k} | {v} |" for k, v in machine.items()]
    out += [
        "",
        *intro,
        "## Targets at a glance",
        "",
        "| figure | measure | median | target |",
        "|---|---|---|---|",
    ]
    for fig in figures:
        for what, value, _floor, ratio, target in fig.rows:
            if target and ":" in target:
                shown = f"{value} ({ratio})" if ratio else value
                out.append(f"| {fig.title} | {what} | {shown} | {target} |".replace("\n", " "))
    for fig in figures:
        out += ["", f"## {fig.title}", "", *_table(fig.rows)]
        if fig.limits:
            out += ["", "**What limits it.**", ""]
            for para in fig.limits:
                out += [para, ""]
            out.pop()
    return "\n".join(out) + "\n"
