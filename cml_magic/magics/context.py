"""What a command handler gets: the client, the settings, and the ways to show results."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from cml_magic.magics.errors import usage_error

if TYPE_CHECKING:
    from cml_magic.magics.magic import CMLMagics

# What a finished object looks like, per kind: the flag the API sets once it stops changing.
FAILED_STATES = {
    "run": {"ENGINE_FAILED", "ENGINE_TIMEDOUT", "ENGINE_STOPPED", "ENGINE_SKIPPED"},
    "build": {"build failed", "failed", "build_failed", "timedout"},
    "deployment": {"failed"},
}


class Context:
    """Per-call helpers for the command handlers; all HTTP goes through `self.cml`."""

    def __init__(self, magic: CMLMagics) -> None:
        self.magic = magic

    @property
    def cml(self) -> Any:
        """The API client (`cml_magic.api.CML`), built on first use."""
        return self.magic.client()

    def project(self, args: argparse.Namespace) -> str | None:
        """The project to address: --project, else `%cml use`, else the client's default."""
        return getattr(args, "project", None) or self.magic.project or None

    def list_options(self, args: argparse.Namespace) -> dict[str, Any]:
        """The shared listing options as API keyword arguments."""
        return {
            "search": args.search,
            "search_filter": args.search_filter,
            "sort": args.sort,
            "limit": args.limit,
            "page_size": self.magic.page_size or None,
        }

    def listing(self, items: list[Any]) -> Any:
        """A DataFrame of `items` (full), shown up to the display limit."""
        from cml_magic import frames
        from cml_magic.magics.results import limit_display

        self.magic.names.remember(items)
        return limit_display(frames.to_frame(items), self.magic.display_limit)

    def remember(self, item: Any) -> Any:
        """Note names and ids of `item` for completion and run lookups; return it."""
        self.magic.names.remember([item])
        return item

    def follow(self, target: Any, kind: str, args: argparse.Namespace, label: str) -> Any:
        """Honour --wait/--watch for a run, build or deployment; return the latest state.

        A finished run that did not succeed fails the cell (after `-o` stored it), so
        notebooks run in batch stop at the failure.
        """
        if not (getattr(args, "wait", False) or getattr(args, "watch", False)):
            return target
        if args.watch:
            shown = self._watch(target)
            if shown is not None:
                return shown
        from cml_magic.magics.progress import wait_with_progress

        cml = self.cml
        wait = {
            "run": cml.wait_for_run,
            "build": getattr(cml, "wait_for_build", cml.wait_for_run),
            "deployment": getattr(cml, "wait_for_deployment", cml.wait_for_run),
        }[kind]
        result = wait_with_progress(
            wait,
            target,
            label,
            timeout=args.timeout,
            poll_interval=self.magic.poll_interval,
            stop=self._stopper(target, kind),
        )
        self.remember(result)
        if getattr(args, "out", None):
            self.magic.shell.user_ns[args.out] = result
        if str(getattr(result, "status", "")) in FAILED_STATES[kind]:
            hint = ""
            if kind == "run":
                hint = f"; its output: %cml runs logs {result.id} --job {result.job_id}"
            raise usage_error(f"{label} ended {result.status}{hint}", "run_failed")
        return result

    def _watch(self, target: Any) -> Any:
        """Show the live widget when `cml_magic.widgets` offers `watch`; None if it does not."""
        try:
            from cml_magic.widgets import watch
        except ImportError:
            return None
        return watch(target, self.cml)

    def _stopper(self, target: Any, kind: str) -> Any:
        cml = self.cml
        if kind == "run":
            return lambda: cml.runs.stop(target.id, target.job_id, project=target.project_id)
        if kind == "deployment":
            return lambda: cml.deployments.stop(
                target.id, model=target.model_id, build=target.build_id, project=target.project_id
            )
        return None  # CML cannot stop a model build
