"""Charts in the magics: a figure of `cml_magic.plots`, its errors as one line.

A verb returns the Figure: IPython shows it inline (it displays as a PNG) and `-o NAME` keeps
it. matplotlib is checked before any request, so a notebook without it learns that at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cml_magic.magics.errors import usage_error

T = TypeVar("T")


def chart(make: Callable[[], T]) -> T:
    """`make()` (which draws with `cml_magic.plots`), once matplotlib is known to be there.

    No matplotlib, or nothing to draw, is a one-line `UsageError`: the first says how to
    install the extra (`pip install 'cml-magic[plot]'`).
    """
    from cml_magic import plots

    try:
        plots.require()
        return make()
    except plots.PlotsUnavailable as exc:
        raise usage_error(str(exc), "missing_extra") from None
    except plots.NothingToPlot as exc:
        raise usage_error(str(exc), "bad_argument") from None
