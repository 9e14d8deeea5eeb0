"""What a command handler gets: the client, the settings, and the ways to show results."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from cml_magic.magics.errors import usage_error

if TYPE_CHECKING:
    from cml_magic.api.client import CML
    from cml_magic.api.objects import Resource
    from cml_magic.magics.magic import CMLMagics

R = TypeVar("R", bound="Resource")


# Set when the thread importing pandas has ended; None when no such thread is under way. Magics
# run on the kernel's main thread only, so no lock guards it.
_pandas_loaded: threading.Event | None = None


def load_frames() -> ModuleType:
    """`cml_magic.frames`, with pandas imported first, the first time, on a thread of its own.

    What the thread buys: importing pandas makes a great many Python calls, and CPython (3.11
    and 3.12; later ones until the fix of python/cpython#142183) unmaps and maps again a 16 KiB
    block of its frame stack on every call that crosses the end of one. Run from a magic deep in
    a kernel's stack, pandas' import met that edge about 3,300 times (about 75 ms of the first
    listing); a new thread imports from the bottom of its own stack, as `import pandas` in a
    cell does. The caller only waits meanwhile: no two threads import at once.
    """
    global _pandas_loaded
    if _pandas_loaded is None and "pandas" not in sys.modules:
        _pandas_loaded = threading.Event()
        # Not a daemon: an exit meanwhile lets the import end (or fail) first, rather than
        # freezing the thread halfway through numpy's initialisation.
        threading.Thread(
            target=_import_pandas, args=(_pandas_loaded,), name="cml-magic-pandas"
        ).start()
    if _pandas_loaded is not None:
        # An event, not `join()`: in CPython 3.11 a Ctrl-C that interrupts `join()` marks the
        # thread ended while it still imports (the next listing would import pandas beside it).
        _pandas_loaded.wait()
        _pandas_loaded = None  # a failed import is tried again next time
    from cml_magic import frames as module  # a failed import above fails here, with its error

    return module


def _import_pandas(done: threading.Event) -> None:
    # A failure is not lost: the caller's own import raises it again, where it belongs.
    try:
        with contextlib.suppress(Exception):
            importlib.import_module("pandas")
    finally:
        done.set()


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

    def listing(self, items: Sequence[Resource], job_names: dict[str, str] | None = None) -> Any:
        """A DataFrame of `items` (full), shown up to the display limit; runs name their job
        (`job_names`: job id -> name, else the names seen before). An empty one says so."""
        from cml_magic.magics.results import limit_display

        self.magic.names.remember(items)
        names = {**self.magic.names.ids(), **(job_names or {})}
        frame = load_frames().to_frame(items, job_names=names)
        kind = getattr(items, "kind", None)
        empty = f"no {kind}s yet" if kind and kind != "object" else "nothing yet"
        return limit_display(frame, self.magic.display_limit, empty)

    def remember(self, item: R) -> R:
        """Note names and ids of `item` for completion and run lookups; return it."""
        self.magic.names.remember([item])
        return item

    def acted(self, item: Any, *, every_of_kind: bool = False) -> Any:
        """After an action on `item` (stop, restart, deploy): the live widgets of this kernel
        showing it (`every_of_kind`: showing any item of its kind) look it up now instead of
        at their next, maybe idle, poll. Returns `item`."""
        import sys

        if "cml_magic.widgets.poller" in sys.modules:  # else no widget was ever shown
            from cml_magic.widgets.controller import acted_on

            acted_on(self.cml, item, every_of_kind=every_of_kind)
        return item

    def follow(self, target: Any, kind: str, args: argparse.Namespace, label: str) -> Any:
        """Honour --wait/--watch for a run, build or deployment; return its latest state.

        --watch in a widget frontend shows the live widget and returns it at once (its `.run`,
        `.build` or `.deployment` stays current); elsewhere it prints status changes, like
        --wait, until the item is final. `-o NAME` gets the result, or the state last seen when
        --timeout expires or Ctrl-C stops the wait. A finished item that did not succeed fails
        the cell (after `-o` stored it), so notebooks run in batch stop there.
        """
        if not (getattr(args, "wait", False) or getattr(args, "watch", False)):
            return target
        latest = [target]  # the state last seen, for -o when the wait ends early

        def seen(obj: Any) -> Any:
            latest[0] = obj
            return obj

        stop = self._stopper(target, kind, seen)
        if args.watch:
            from cml_magic import widgets

            widgets.get_poller().interval = self.magic.watch_interval
            view = widgets.watch(target, self.cml, project=self.project(args))
            if widgets.in_widget_frontend():
                view.show()  # type: ignore[union-attr]
                return view
        try:
            if args.watch:
                result = self._watch_text(view, args, label, stop, seen)
            else:
                from cml_magic.magics.progress import wait_with_progress

                result = wait_with_progress(
                    lambda obj: seen(self.cml.refresh(obj)),
                    target,
                    label,
                    kind=kind,
                    timeout=args.timeout,
                    poll_interval=self.magic.poll_interval,
                    stop=stop,
                )
        except BaseException:
            self._keep(args, latest[0])
            raise
        self._keep(args, result)
        if not result.succeeded:
            hint = ""
            if kind == "run":
                hint = f"; its output: %cml runs logs {result.id} --job {result.job_id}"
            elif kind == "build":
                hint = f"; its log: %cml builds logs {result.id} --model {result.model_id}"
            raise usage_error(f"{label} ended {result.status}{hint}", "run_failed")
        return result

    def _watch_text(
        self, view: Any, args: argparse.Namespace, label: str, stop: Any, seen: Any
    ) -> Any:
        """--watch without a widget frontend: text progress until final or --timeout."""
        from cml_magic.magics.progress import stop_on_interrupt

        try:
            with stop_on_interrupt(label, stop):
                _wait_for(view, args.timeout, seen)
        finally:
            view.close()
        result = seen(view.obj)
        if not result.finished:
            raise usage_error(
                f"{label} is still {result.status} after {args.timeout or 0:g}s; it goes on",
                "timeout",
            )
        return result

    def _keep(self, args: argparse.Namespace, item: Any) -> None:
        """Remember `item` and store it in `-o NAME`, if given."""
        self.remember(item)
        if getattr(args, "out", None):
            self.magic.user_ns[args.out] = item

    def _stopper(self, target: Any, kind: str, seen: Any) -> Any:
        if kind == "build":
            return None  # CML cannot stop a model build
        cml = self.cml
        return lambda: seen(cml.stop(target))


def _wait_for(view: Any, timeout: float | None, seen: Any) -> None:
    """Block until `view` (a TextProgress) is final, in short steps so Ctrl-C gets through;
    `seen` is told each state."""
    import time

    deadline = None if timeout is None else time.monotonic() + timeout
    while not view.finished:
        seen(view.obj)
        left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
        if left <= 0:
            return
        view.wait(left)
