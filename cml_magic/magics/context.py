"""What a command handler gets: the client, the settings, and the ways to show results."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

from cml_magic.magics.errors import usage_error

if TYPE_CHECKING:
    from cml_magic.api.client import CML
    from cml_magic.api.objects import JobRun, Resource
    from cml_magic.api.serving_objects import ModelBuild, ModelDeployment
    from cml_magic.magics.magic import CMLMagics

    # What --wait and --watch follow.
    Followed: TypeAlias = JobRun | ModelBuild | ModelDeployment

R = TypeVar("R", bound="Resource")


class Context:
    """Per-call helpers for the command handlers; all HTTP goes through `self.cml`."""

    def __init__(self, magic: CMLMagics) -> None:
        self.magic = magic

    @property
    def cml(self) -> CML:
        """The API client (`cml_magic.api.CML`), built on first use."""
        return self.magic.client()

    def project(self, args: argparse.Namespace) -> str | None:
        """The project to address: --project, else `%cml use`, else the client's default."""
        return getattr(args, "project", None) or self.magic.project or None

    def list_options(self, args: argparse.Namespace) -> dict[str, Any]:
        """The shared listing options as API keyword arguments.

        With --all-projects, --project and --sort are one-line errors (before any request):
        CML's cross-project listing takes no sort, and sorting on the client would sort only
        the first --limit items.
        """
        options = {
            "search": getattr(args, "search", None),
            "search_filter": args.search_filter,
            "sort": args.sort,
            "limit": args.limit,
            "page_size": self.magic.page_size or None,
        }
        if not hasattr(args, "search"):
            del options["search"]  # the API takes no name search for this kind
        if getattr(args, "all_projects", False):
            if getattr(args, "project", None):
                raise usage_error(
                    "--all-projects lists every project you can see; drop --project"
                    " (or --all-projects to list one project)",
                    "bad_argument",
                )
            if args.sort:
                raise usage_error(
                    "--sort does not go with --all-projects: CML's listing across projects"
                    " takes no sort; sort the DataFrame instead, e.g. df.sort_values('name')",
                    "bad_argument",
                )
            del options["sort"]
        return options

    def listing(self, items: Sequence[Resource]) -> Any:
        """A DataFrame of `items` (full), shown up to the display limit."""
        from cml_magic import frames
        from cml_magic.magics.results import limit_display

        self.magic.names.remember(items)
        return limit_display(frames.to_frame(items), self.magic.display_limit)

    def remember(self, item: R) -> R:
        """Note names and ids of `item` for completion and run lookups; return it."""
        self.magic.names.remember([item])
        return item

    def follow(self, target: Followed, kind: str, args: argparse.Namespace, label: str) -> Followed:
        """Honour --wait/--watch for a run, build or deployment; return its latest state.

        --watch in a widget frontend shows the live widget and returns at once; elsewhere
        it prints status changes, like --wait, until the item is final. A finished item
        that did not succeed fails the cell (after `-o` stored it), so notebooks run in
        batch stop there.
        """
        if not (getattr(args, "wait", False) or getattr(args, "watch", False)):
            return target
        stop = self._stopper(target, kind)
        if args.watch:
            from cml_magic import widgets

            widgets.get_poller().interval = self.magic.watch_interval
            view = widgets.watch(target, self.cml, project=self.project(args))
            if widgets.in_widget_frontend():
                from IPython.display import display

                display(view)  # type: ignore[no-untyped-call]
                return target
            from cml_magic.magics.progress import stop_on_interrupt

            try:
                with stop_on_interrupt(label, stop):
                    _wait_for(view, args.timeout)
            finally:
                view.close()
            result = cast("Followed", view.obj)  # watch() takes no application
            if not result.finished:
                raise usage_error(
                    f"{label} is still {result.status} after {args.timeout or 0:g}s; it goes on",
                    "timeout",
                )
        else:
            from cml_magic.magics.progress import wait_with_progress

            waits: dict[str, Callable[..., Followed]] = {
                "run": self.cml.wait_for_run,
                "build": self.cml.wait_for_build,
                "deployment": self.cml.wait_for_deployment,
            }
            result = wait_with_progress(
                waits[kind],
                target,
                label,
                timeout=args.timeout,
                poll_interval=self.magic.poll_interval,
                stop=stop,
            )
        self.remember(result)
        if getattr(args, "out", None):
            self.magic.user_ns[args.out] = result
        if not result.succeeded:
            from cml_magic.api.objects import JobRun

            hint = ""
            if isinstance(result, JobRun):
                hint = f"; its output: %cml runs logs {result.id} --job {result.job_id}"
            raise usage_error(f"{label} ended {result.status}{hint}", "run_failed")
        return result

    def _stopper(self, target: Any, kind: str) -> Any:
        if kind == "build":
            return None  # CML cannot stop a model build
        cml = self.cml
        return lambda: cml.stop(target)


def _wait_for(view: Any, timeout: float | None) -> None:
    """Block until `view` (a TextProgress) is final, in short steps so Ctrl-C gets through."""
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    while not view.finished:
        left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
        if left <= 0:
            return
        view.wait(left)
