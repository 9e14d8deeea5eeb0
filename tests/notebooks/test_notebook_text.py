"""The terminal text of an executed notebook, as `cml-magic demo` prints it."""

from __future__ import annotations

import nbformat

from cml_magic.notebook_text import MAX_LINE, cell_report


def executed(*cells: tuple[str, list[dict[str, object]]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for source, outputs in cells:
        cell = nbformat.v4.new_code_cell(source)
        cell.outputs = [nbformat.v4.new_output(**output) for output in outputs]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_markdown_cell("# not code"))
    return nb


def test_each_cell_with_a_result_then_what_it_showed() -> None:
    nb = executed(
        ("x = 1", []),
        ("print('a')\nprint('b')", [{"output_type": "stream", "name": "stdout", "text": "a\n"}]),
        ("x", [{"output_type": "execute_result", "data": {"text/plain": "1"}}]),
        ("1 / 0", [{"output_type": "error", "ename": "ZeroDivisionError", "evalue": "no"}]),
    )
    assert list(cell_report(nb)) == [
        "",
        ">>> print('a')",
        "... print('b')",
        "a",
        "",
        ">>> x",
        "1",
        "",
        ">>> 1 / 0",
        "ZeroDivisionError: no",
    ]


def test_stream_writes_settle_as_a_terminal_shows_them() -> None:
    # Two writes to one stream are one text; a line redrawn with \r shows its last state.
    writes = [
        {"output_type": "stream", "name": "stdout", "text": "status: pending\r"},
        {"output_type": "stream", "name": "stdout", "text": "status: built   \ndone\n"},
        {"output_type": "stream", "name": "stderr", "text": "warned\n"},
    ]
    assert list(cell_report(executed(("watch()", writes)))) == [
        "",
        ">>> watch()",
        "status: built",
        "done",
        "warned",
    ]


def test_a_long_line_is_cut_and_blank_outputs_are_left_out() -> None:
    outputs = [
        {"output_type": "stream", "name": "stdout", "text": "  \n"},
        {"output_type": "display_data", "data": {"text/plain": "y" * 500}},
    ]
    lines = list(cell_report(executed(("show()", outputs))))
    assert lines == ["", ">>> show()", "y" * (MAX_LINE - 1) + "…"]
