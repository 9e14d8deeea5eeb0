"""A notebook as plain text for a terminal: each code cell with a visible result, then what it
showed, stream writes settled as a terminal leaves them and long lines cut."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_LINE = 160  # characters of an output line shown in the terminal; the notebook keeps all


def cell_report(nb: Any) -> Iterator[str]:
    """The notebook as plain text: each code cell with a visible result, then its output."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts = [text for text in _cell_texts(cell.get("outputs", [])) if text.strip()]
        if not texts:
            continue
        source = cell.source.strip()
        first, *rest = source.splitlines() or [""]
        yield ""
        yield f">>> {first}"
        yield from (f"... {line}" for line in rest)
        for text in texts:
            yield from (_shorten(line) for line in text.rstrip("\n").splitlines())


def _shorten(line: str, width: int = MAX_LINE) -> str:
    """A line cut to `width` characters (an object's repr can run to a thousand)."""
    return line if len(line) <= width else line[: width - 1] + "…"


def _cell_texts(outputs: list[Any]) -> Iterator[str]:
    """The text of each output; consecutive writes to one stream count as one output."""
    stream, pending = None, ""
    for output in outputs:
        if output.get("output_type") == "stream" and output.get("name") == stream:
            pending += str(output.get("text", ""))
            continue
        if stream is not None:
            yield _settled(pending)
            stream, pending = None, ""
        if output.get("output_type") == "stream":
            stream, pending = output.get("name"), str(output.get("text", ""))
        else:
            yield _output_text(output)
    if stream is not None:
        yield _settled(pending)


def _settled(text: str) -> str:
    """Stream text as a terminal would leave it: a line rewritten with carriage returns
    shows only its last state."""
    return "\n".join(line.rsplit("\r", 1)[-1].rstrip() for line in text.split("\n"))


def _output_text(output: Any) -> str:
    kind = output.get("output_type")
    if kind in {"execute_result", "display_data"}:
        return str(output.get("data", {}).get("text/plain", ""))
    if kind == "error":
        return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
    return ""
