"""Progress of a file transfer: tqdm's notebook bar in a widget front end, its text bar
elsewhere; none for small files, which move before a bar could say anything."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

BAR_FROM = 1 << 20  # bytes


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A `progress(n)` callback for a transfer of `total` bytes, closed after the block."""
    if total < BAR_FROM:
        yield lambda n: None
        return
    import tqdm

    from cml_magic.widgets.frontend import in_widget_frontend

    make: type[tqdm.tqdm[Any]] = tqdm.tqdm
    if in_widget_frontend():
        import tqdm.notebook

        make = tqdm.notebook.tqdm
    bar = make(total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024)

    def progress(n: int) -> None:
        bar.update(n)

    try:
        yield progress
    finally:
        bar.close()
