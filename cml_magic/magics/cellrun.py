"""`%%cml_run`: run the cell's code on CML as a job run, and show its output in the cell.

The cell becomes a content-addressed project file (`.cml/cells/<hash>.py`, uploaded only when
it is not there yet) that saves its own output (`cml_magic.runlog.SNIPPET`); a job runs it
(`cell-<hash8>`, or `--job`), one run with the line's environment; `--sweep` makes one job and
one run per combination (a job runs at most once at a time). Every check is made before
anything is written or started.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cml_magic.magics.commands import Verb, parse_cell_line
from cml_magic.magics.context import Context
from cml_magic.magics.errors import usage_error
from cml_magic.magics.parsing import CommandParser, count, env_pair, positive_float, positive_int
from cml_magic.magics.sweeps import SweepError, combinations, job_name, parse_axis

if TYPE_CHECKING:
    from cml_magic.api.objects import Job
    from cml_magic.api.run_objects import JobRun

PROG = "%%cml_run"
CELLS = ".cml/cells"
# The cell's text follows this line in its file (its line 1 is the next line).
CELL_MARK = "# ---- the cell sent by %%cml_run ----\n"


def _arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--job",
        help="the job to run it as (created, or reused with its script updated;"
        " default: cell-<hash>)",
    )
    parser.add_argument("--runtime", help="runtime image: identifier or short name")
    parser.add_argument("--cpu", type=positive_float, metavar="N", help="vCPUs")
    parser.add_argument("--memory", type=positive_float, metavar="GB", help="memory in GB")
    parser.add_argument("--gpu", type=count, metavar="N", help="NVIDIA GPUs")
    parser.add_argument(
        "--env",
        action="append",
        type=env_pair,
        metavar="KEY=VALUE",
        help="environment variable of the run (repeatable)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_int,
        metavar="SECONDS",
        help="CML stops the run after this long (it ends ENGINE_TIMEDOUT)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--wait",
        action="store_true",
        help="block with text progress, then print the output (default outside widget front ends)",
    )
    mode.add_argument(
        "--watch",
        action="store_true",
        help="show the live run widget (default in a widget front end)",
    )
    parser.add_argument(
        "--sweep",
        action="append",
        type=parse_axis,
        metavar="KEY=v1,v2,...",
        help="one run per combination of the values (repeatable: every combination)",
    )
    parser.add_argument(
        "--yes", action="store_true", help="start a sweep of more than 200 runs, too"
    )


VERB = Verb(
    "cml_run",
    "run the cell on CML as a job run and show its output",
    lambda ctx, args: None,
    _arguments,
    example="%%cml_run --project demo --env N=3 --wait\\nprint('hello from CML')",
)


def parse_line(line: str) -> argparse.Namespace:
    """The options of a `%%cml_run` line."""
    return parse_cell_line(PROG, VERB, line)


def cell_script(cell: str) -> str:
    """The file a cell runs as: the runlog snippet, then the cell as it is."""
    from cml_magic.runlog import SNIPPET

    return SNIPPET + CELL_MARK + cell + ("" if cell.endswith("\n") else "\n")


def run(ctx: Context, args: argparse.Namespace, cell: str) -> Any:
    """`%%cml_run`: check everything, write the file, make the jobs, start the runs, show.

    `-o` gets the run (a widget with --watch in a widget front end), or a sweep's DataFrame
    (its summary widget with --watch in a widget front end); what the cell shows is
    returned."""
    if not cell.strip():
        raise usage_error(
            f"{PROG}: the cell is empty; write the code to run below the line", "bad_argument"
        )
    _check_python(cell)
    fixed = dict(args.env or [])
    try:
        combos = combinations(args.sweep or [], allow_many=args.yes, fixed=fixed)
    except SweepError as exc:
        raise usage_error(f"{PROG}: {exc}", "bad_argument") from None
    project = _project_id(ctx, args)
    fields = _job_fields(ctx, args)
    script = cell_script(cell)
    digest = hashlib.sha256(script.encode()).hexdigest()[:16]
    path = f"{CELLS}/{digest}.py"
    base, given = _base_job(ctx, args, project, digest)
    sweeping = bool(args.sweep)
    names = [job_name(base, combo) for combo in combos] if sweeping else [base]
    existing = _jobs_named(ctx, project, base, names, given)
    _refuse_busy(ctx, project, existing.values())

    _store_cell(ctx, project, path, script)
    jobs = [_job(ctx, project, name, existing.get(name), path, fields) for name in names]
    started = [
        (combo, ctx.remember(_start(ctx, project, job, {**fixed, **combo})))
        for combo, job in zip(combos, jobs, strict=True)
    ]
    watch = _watching(args)
    live = False  # a sweep's summary widget, shown at once; else the cell waits for the runs
    if sweeping:
        from cml_magic.magics.sweep_view import show
        from cml_magic.widgets.frontend import in_widget_frontend

        live = watch and in_widget_frontend()
        shown = show(ctx, started, live=live, out=args.out)
    else:
        shown = _follow(ctx, args, started[0][1], jobs[0], watch)
    if args.out:
        ctx.magic.user_ns[args.out] = shown
    # The output is printed and the widgets show themselves: only a sweep's table is the value.
    return shown if sweeping and not live else None


def _check_python(cell: str) -> None:
    """The cell runs as a plain Python script: IPython syntax (`%magic`, `!command`) and other
    syntax errors are refused here, not found by a run on the cluster."""
    try:
        compile(cell, "<cell>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"line {exc.lineno}: " if exc.lineno else ""
        text = (exc.text or "").strip()
        hint = " (IPython syntax does not run in a script)" if text[:1] in {"%", "!"} else ""
        raise usage_error(
            f"{PROG}: {where}not Python: {exc.msg}{hint}" + (f": {text!r}" if text else ""),
            "bad_argument",
        ) from None
    except ValueError as exc:  # a NUL byte
        raise usage_error(f"{PROG}: the cell is not Python text: {exc}", "bad_argument") from None


def _project_id(ctx: Context, args: argparse.Namespace) -> str:
    """The project's id (one look-up), or a one-line error when none is set or found."""
    project = ctx.project(args)
    if not project and not ctx.cml.project:
        raise usage_error(
            f"{PROG}: no project: pass --project NAME, or %cml use NAME"
            " (inside CML: CDSW_PROJECT_ID)",
            "not_configured",
        )
    return ctx.cml.projects.resolve(project)


def _job_fields(ctx: Context, args: argparse.Namespace) -> dict[str, Any]:
    """The job fields the line sets; the runtime checked against the workspace's catalogue."""
    fields: dict[str, Any] = {}
    if args.runtime:
        fields["runtime_identifier"] = _runtime(ctx, args.runtime)
    for name, value in (("cpu", args.cpu), ("memory", args.memory), ("nvidia_gpu", args.gpu)):
        if value is not None:
            fields[name] = value
    if args.timeout is not None:
        fields["timeout"] = args.timeout
        fields["kill_on_timeout"] = True
    return fields


def _runtime(ctx: Context, ref: str) -> str:
    from cml_magic.api.errors import AmbiguousNameError, NotFoundError
    from cml_magic.api.runtimes import is_short_name

    try:
        if is_short_name(ref):
            return ctx.cml.runtimes.identifier(ref)
        if any(r.image_identifier == ref for r in ctx.cml.runtimes.iter()):
            return ref
    except AmbiguousNameError as exc:
        raise usage_error(f"{PROG}: --runtime {ref!r}: {exc}", "bad_name") from None
    except NotFoundError:
        pass
    raise usage_error(
        f"{PROG}: unknown runtime {ref!r}; %cml runtimes list shows the ones offered", "bad_name"
    )


def _base_job(
    ctx: Context, args: argparse.Namespace, project: str, digest: str
) -> tuple[str, Job | None]:
    """The name the job (or each sweep's job) starts with, and the job --job gave by id."""
    if not args.job:
        return f"cell-{digest[:8]}", None
    from cml_magic.api.names import is_dashed_id

    if is_dashed_id(args.job):
        job = ctx.cml.jobs.get(args.job, project=project)
        return job.name, job
    name = args.job.strip()
    if not name:
        raise usage_error(f"{PROG}: --job needs a name", "bad_argument")
    return name, None


def _jobs_named(
    ctx: Context, project: str, base: str, names: Sequence[str], given: Job | None
) -> dict[str, Job]:
    """The jobs already called one of `names` (one listing: their names all hold `base`)."""
    found = {j.name: j for j in ctx.cml.jobs.iter(project=project, search=base)}
    if given is not None:
        found[given.name] = given
    return {name: found[name] for name in names if name in found}


def _refuse_busy(ctx: Context, project: str, jobs: Any) -> None:
    """A job runs at most once at a time: refuse before anything starts, naming the run."""
    for job in jobs:
        latest = ctx.cml.runs.list(job.id, project=project, limit=1)
        if latest and not latest[0].finished:
            going = latest[0]
            raise usage_error(
                f"{PROG}: job {job.name!r} still has run {going.id} going ({going.status}); a"
                f" job runs once at a time: wait for it, or %cml runs stop {going.id}"
                f" --job {job.id}",
                "busy",
            )


def _store_cell(ctx: Context, project: str, path: str, script: str) -> None:
    """Upload the cell's file unless the same one is there (its name is its content's hash)."""
    from cml_magic.api.errors import NotFoundError

    data = script.encode()
    try:
        listed = ctx.cml.files.list(path, project=project)
    except NotFoundError:
        listed = None
    if listed and len(listed) == 1 and listed[0].file_size == len(data):
        return
    ctx.cml.files.upload(path, data, project=project, overwrite=True)


def _job(
    ctx: Context,
    project: str,
    name: str,
    job: Job | None,
    path: str,
    fields: Mapping[str, Any],
) -> Job:
    """The job `name` running `path` with `fields`: created, or updated where it differs."""
    if job is None:
        return ctx.remember(ctx.cml.jobs.create(name, path, project=project, **fields))
    wanted = {"script": path, **fields}
    changes = {k: v for k, v in wanted.items() if getattr(job, k, None) != v}
    if not changes:
        return ctx.remember(job)
    return ctx.remember(ctx.cml.jobs.update(job.id, project=project, **changes))


def _start(ctx: Context, project: str, job: Job, environment: dict[str, str]) -> JobRun:
    return ctx.cml.runs.create(job.id, project=project, environment=environment or None)


def _watching(args: argparse.Namespace) -> bool:
    """--watch, --wait, or by default the live widget where one is drawn."""
    if args.watch or args.wait:
        return bool(args.watch)
    from cml_magic.widgets.frontend import in_widget_frontend

    return in_widget_frontend()


def _follow(ctx: Context, args: argparse.Namespace, run: JobRun, job: Job, watch: bool) -> Any:
    """One run: the live widget (returned at once), or text progress, then its output; a run
    that did not succeed fails the cell after its output is shown."""
    follow = argparse.Namespace(wait=not watch, watch=watch, timeout=None, out=args.out)
    label = f"run {run.id} of job {job.name}"
    from IPython.core.error import UsageError

    try:
        result = ctx.follow(run, "run", follow, label)
    except UsageError:  # it ended without success: its output, then the one line
        _print_output(ctx, run)
        raise
    if getattr(result, "kind", "") == "run":  # not the widget, which shows its own tail
        _print_output(ctx, result)
    return result


def _print_output(ctx: Context, run: JobRun) -> None:
    """The run's saved output, masked; or the one line saying why there is none."""
    from cml_magic.api.masking import mask_text
    from cml_magic.runlog import missing_hint

    try:
        text = ctx.cml.runs.output(run)
    except Exception:  # noqa: BLE001 - the run's status is what the cell reports
        return
    if text is None:
        print(missing_hint(run.id))
        return
    text = mask_text(text)
    print(text, end="" if text.endswith("\n") else "\n")
