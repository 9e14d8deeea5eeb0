"""`%cml files ...` and `%%cml_file` through a real IPython shell against the local server."""

from __future__ import annotations

import os
import tracemalloc
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.completer import provisionalcompleter
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

PROJECT = "risk-analysis"
MB = 1 << 20


def cml(ip: Any, line: str) -> Any:
    with capture_output():
        return ip.run_line_magic("cml", line)


@pytest.fixture
def here(cml_ip: Any, api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A folder of its own in the project (the server is shared), the notebook in `tmp_path`,
    `%cml use` on the project; the folder is deleted afterwards."""
    monkeypatch.chdir(tmp_path)
    cml(cml_ip, f"use {PROJECT}")
    folder = f"t-{uuid.uuid4().hex[:8]}"
    yield folder
    cml(cml_ip, "use --clear")
    for entry in api.files.list(project=PROJECT):
        if entry.path == folder:
            api.files.delete(folder, project=PROJECT)


def test_ls_has_stable_columns_with_real_dtypes(cml_ip: Any, api: Any, here: str) -> None:
    api.files.upload(f"{here}/a.csv", b"1,2\n", project=PROJECT)
    api.files.upload(f"{here}/sub/b.txt", b"b", project=PROJECT)
    frame = cml(cml_ip, f"files ls {here}")
    assert list(frame.columns) == ["path", "size", "modified", "is_dir"]
    assert [str(t) for t in frame.dtypes] == ["str", "int64", "datetime64[ns, UTC]", "bool"]
    # Project paths, so that a row's path can be handed to get/rm/cat as it is.
    assert list(frame["path"]) == [f"{here}/a.csv", f"{here}/sub"]
    assert list(frame["size"]) == [4, 0] and list(frame["is_dir"]) == [False, True]
    one = cml(cml_ip, f"files ls {here}/a.csv")
    assert list(one["path"]) == [f"{here}/a.csv"]
    empty = cml(cml_ip, f"files ls {here}/sub/b.txt -o listed")
    assert cml_ip.user_ns["listed"] is not None and len(empty) == 1


def test_list_is_another_spelling_of_ls(cml_ip: Any, api: Any, here: str) -> None:
    api.files.upload(f"{here}/a.csv", b"1,2\n", project=PROJECT)
    listed = cml(cml_ip, f"files list {here}")
    assert listed.equals(cml(cml_ip, f"files ls {here}"))
    assert list(listed["path"]) == [f"{here}/a.csv"]
    with pytest.raises(UsageError, match="%cml files ls: unknown flag '--nope'"):
        cml(cml_ip, f"files list {here} --nope")  # ls's own parser
    # Help names the verb once, by its name; help on the other spelling is ls's.
    with capture_output() as shown:
        cml_ip.run_line_magic("cml", "files --help")
    firsts = [line.split()[0] for line in shown.stdout.splitlines() if line.startswith("  ")]
    assert "ls" in firsts and "list" not in firsts
    with capture_output() as shown:
        cml_ip.run_line_magic("cml", "help files list")
    assert "%cml files ls" in shown.stdout
    with provisionalcompleter():
        completions = [c.text for c in cml_ip.Completer.completions("%cml files ", 11)]
    assert "ls" in completions and "list" not in completions


def test_put_and_get_a_file_of_a_few_mb(
    cml_ip: Any, api: Any, here: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = os.urandom(5 * MB + 123)
    Path("big.bin").write_bytes(data)
    stored = cml_ip.run_line_magic("cml", f"files put big.bin {here}/big.bin -o put")
    assert stored == [f"{here}/big.bin"] == cml_ip.user_ns["put"]
    assert "100%" in capsys.readouterr().err  # tqdm's text bar outside a widget front end
    got = cml_ip.run_line_magic("cml", f"files get {here}/big.bin back.bin")
    assert got == Path("back.bin") and Path("back.bin").read_bytes() == data
    assert "100%" in capsys.readouterr().err
    assert not list(Path(".").glob("*.part"))
    # Into a folder: the file's own name.
    Path("into").mkdir()
    assert cml(cml_ip, f"files get {here}/big.bin into") == Path("into/big.bin")
    assert Path("into/big.bin").read_bytes() == data
    # put replaces (CML would keep the old file and store `big(1).bin`).
    Path("big.bin").write_bytes(b"small now")
    cml(cml_ip, f"files put big.bin {here}/big.bin")
    assert [f.path for f in api.files.list(here, project=PROJECT)] == ["big.bin"]
    assert api.files.download(f"{here}/big.bin", project=PROJECT) == b"small now"


def test_transfers_never_hold_the_whole_file(cml_ip: Any, here: str) -> None:
    Path("big.bin").write_bytes(os.urandom(8 * MB))
    tracemalloc.start()
    try:
        cml(cml_ip, f"files put big.bin {here}/big.bin")
        _, up = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        cml(cml_ip, f"files get {here}/big.bin back.bin")
        _, down = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert Path("back.bin").read_bytes() == Path("big.bin").read_bytes()
    assert up < 2 * MB and down < 2 * MB, (up, down)


def test_put_of_a_file_onto_a_folder_goes_into_it(cml_ip: Any, api: Any, here: str) -> None:
    api.files.upload(f"{here}/data/keep.csv", b"kept", project=PROJECT)
    Path("a.csv").write_bytes(b"a")
    assert cml(cml_ip, f"files put a.csv {here}/data") == [f"{here}/data/a.csv"]
    assert cml(cml_ip, f"files put a.csv {here}/new/") == [f"{here}/new/a.csv"]
    # The folder was not replaced by the file.
    assert sorted(f.path for f in api.files.list(f"{here}/data", project=PROJECT)) == [
        "a.csv",
        "keep.csv",
    ]
    Path("tree").mkdir()
    Path("tree/b.txt").write_bytes(b"b")
    with pytest.raises(UsageError, match="is a file; a folder cannot go there"):
        cml(cml_ip, f"files put tree {here}/data/a.csv")


def test_put_and_get_a_folder_recursively(cml_ip: Any, api: Any, here: str) -> None:
    tree = {"a.txt": b"a", "sub/b.txt": b"bb", "sub/deeper/c.bin": os.urandom(2 * MB)}
    for name, data in tree.items():
        Path("tree", name).parent.mkdir(parents=True, exist_ok=True)
        Path("tree", name).write_bytes(data)
    stored = cml(cml_ip, f"files put tree {here}/tree")
    assert sorted(stored) == sorted(f"{here}/tree/{name}" for name in tree)
    for name, data in tree.items():
        assert api.files.download(f"{here}/tree/{name}", project=PROJECT) == data
    assert cml(cml_ip, f"files get {here}/tree copy") == Path("copy")
    assert {
        p.relative_to("copy").as_posix(): p.read_bytes()
        for p in Path("copy").rglob("*")
        if p.is_file()
    } == tree


def test_mv_cat_rm_and_the_cell_magic(cml_ip: Any, api: Any, here: str) -> None:
    with capture_output() as shown:
        cml_ip.run_cell_magic("cml_file", f"{here}/src/train.py -o written", "print('hi')\n")
    assert f"wrote {here}/src/train.py (12 bytes)" in shown.stdout
    assert cml_ip.user_ns["written"] == f"{here}/src/train.py"
    assert api.files.download(f"{here}/src/train.py", project=PROJECT) == b"print('hi')\n"
    # Again: the file is replaced, not kept beside as `train(1).py`.
    with capture_output():
        cml_ip.run_cell_magic("cml_file", f"{here}/src/train.py", "print('bye')\n")
    assert [f.path for f in api.files.list(f"{here}/src", project=PROJECT)] == ["train.py"]
    moved = cml(cml_ip, f"files mv {here}/src/train.py {here}/fit.py")
    assert moved.path == f"{here}/fit.py"
    assert sorted(f.path for f in api.files.list(here, project=PROJECT)) == ["fit.py", "src"]
    text = cml(cml_ip, f"files cat {here}/fit.py -o body")
    assert text == "print('bye')\n" == cml_ip.user_ns["body"]
    with capture_output() as shown:
        cml_ip.run_cell(f"%cml files cat {here}/fit.py")
    # Shown as the text itself, not as a quoted string.
    assert shown.stdout.endswith("print('bye')\n\n") and "\\n" not in shown.stdout
    with pytest.raises(UsageError, match="is a folder"):
        cml(cml_ip, f"files cat {here}/src")
    with capture_output() as shown:
        cml_ip.run_line_magic("cml", f"files rm {here}/src")
    assert shown.stdout == f"deleted {here}/src\n"
    assert [f.path for f in api.files.list(here, project=PROJECT)] == ["fit.py"]


def test_cat_shows_the_first_mib_of_a_big_file(cml_ip: Any, api: Any, here: str) -> None:
    api.files.upload(f"{here}/log.txt", b"x" * (MB + 10), project=PROJECT)
    text = cml(cml_ip, f"files cat {here}/log.txt")
    assert text.startswith("x" * MB) and text.endswith(
        f"(10 more bytes: %cml files get {here}/log.txt)"
    )


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("files put missing.bin", "LOCAL 'missing.bin': no such file or folder here"),
        ("files put here.txt ../up.txt", "REMOTE '../up.txt' climbs out with '..'"),
        ("files get data/../../etc/passwd", "REMOTE 'data/../../etc/passwd' climbs out"),
        ("files ls ..", "PATH '..' climbs out"),
        ("files rm /", "refusing to delete the whole project folder"),
        ("files mv a.py ../b.py", "DST '../b.py' climbs out"),
        ("files get", "the following arguments are required: REMOTE"),
    ],
)
def test_bad_input_is_one_line_before_any_request(
    ip: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, line: str, message: str
) -> None:
    # Nothing listens here: an error that named a connection would mean a request was sent.
    monkeypatch.setenv("CML_MAGIC_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("CML_MAGIC_API_KEY", "k" * 40)
    monkeypatch.setenv("CML_MAGIC_PROJECT", "p")
    monkeypatch.chdir(tmp_path)
    Path("here.txt").write_text("x")
    with pytest.raises(UsageError, match=message.replace("(", r"\(")) as raised:
        cml(ip, line)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "line", ["files ls", "files get a.txt", "files put here.txt", "files rm a.txt", "files cat a"]
)
def test_no_project_is_one_line_before_any_request(
    ip: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, line: str
) -> None:
    monkeypatch.setenv("CML_MAGIC_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("CML_MAGIC_API_KEY", "k" * 40)
    monkeypatch.chdir(tmp_path)
    Path("here.txt").write_text("x")
    with pytest.raises(UsageError, match="^no project: pass -p NAME, or %cml use NAME"):
        cml(ip, line)
    with pytest.raises(UsageError, match="^no project"):
        ip.run_cell_magic("cml_file", "a.py", "x = 1\n")


def test_help_and_completion_know_the_verbs(cml_ip: Any) -> None:
    with capture_output() as shown:
        cml_ip.run_line_magic("cml", "files --help")
    for verb in ("ls", "get", "put", "rm", "mv", "cat"):
        assert f"  {verb} " in shown.stdout
    with capture_output() as shown:
        cml_ip.run_cell_magic("cml_file", "--help", "x = 1\n")
    assert "%%cml_file" in shown.stdout and "PATH" in shown.stdout
    with provisionalcompleter():
        completions = [c.text for c in cml_ip.Completer.completions("%cml files ", 11)]
    assert {"ls", "get", "put", "rm", "mv", "cat"} <= set(completions)


def test_a_widget_front_end_gets_tqdms_notebook_bar(
    cml_ip: Any, here: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CML_MAGIC_WIDGETS", "1")
    Path("big.bin").write_bytes(os.urandom(2 * MB))
    with capture_output() as shown:
        cml_ip.run_line_magic("cml", f"files put big.bin {here}/big.bin")
    views = [o.data for o in shown.outputs if "application/vnd.jupyter.widget-view+json" in o.data]
    assert views, "no widget was displayed"
    assert "100%" not in capsys.readouterr().err  # no text bar beside it
