"""Project files: list, upload (CML keeps existing files), download, rename, delete; confined."""

from __future__ import annotations

from support.rest import Api, make_project


def test_upload_list_download(alice: Api) -> None:
    project = make_project(alice, {"data/in.csv": "a,b\n1,2\n", "top.py": "print(1)\n"})
    pid = project["id"]
    root = {f["path"]: f for f in alice.get(f"/projects/{pid}/files/%2F")["files"]}
    assert root["data"]["is_dir"] is True and root["top.py"]["file_size"] == "9"
    inner = alice.get(f"/projects/{pid}/files/data")["files"]
    assert inner == [{"path": "in.csv", "is_dir": False, "file_size": "8"}]
    # CML lists with `files/{path}` (the root is `%2F`); `files` alone only takes an upload.
    assert alice.get(f"/projects/{pid}/files", expect=405)["code"] == 12
    assert alice.download(pid, "data/in.csv").content == b"a,b\n1,2\n"
    assert alice.download(pid, "data/none.csv").status_code == 404
    assert alice.get(f"/projects/{pid}/files/nowhere", expect=404)["code"] == 5


def test_upload_onto_an_existing_file_keeps_both(alice: Api) -> None:
    project = make_project(alice, {"r.txt": "first"})
    pid = project["id"]
    alice.post(f"/projects/{pid}/files", files={"r.txt": ("r.txt", b"second")})
    alice.post(f"/projects/{pid}/files", files={"r.txt": ("r.txt", b"third")})
    assert alice.download(pid, "r.txt").text == "first"
    assert alice.download(pid, "r(1).txt").text == "second"
    assert alice.download(pid, "r(2).txt").text == "third"


def test_paths_stay_inside_the_project(alice: Api) -> None:
    project = make_project(alice, {})
    pid = project["id"]
    answer = alice.post(f"/projects/{pid}/files", expect=400, files={"../escape.txt": ("e", b"x")})
    assert "outside the project folder" in answer["message"]
    assert alice.download(pid, "..%2F..%2Fcml-local.sqlite3").status_code in (400, 404)
    assert alice.get(f"/projects/{pid}/files/..%2F..", expect=400)["code"] == 3
    assert alice.post(f"/projects/{pid}/files", expect=400, data={"x": "not a file"})["code"] == 3


def test_rename_and_delete(alice: Api) -> None:
    project = make_project(alice, {"a/b.txt": "b"})
    pid = project["id"]
    moved = alice.patch(f"/projects/{pid}/files/a/b.txt", json={"path": "c/d.txt"})
    assert moved == {"path": "c/d.txt", "is_dir": False, "file_size": "1"}
    assert alice.download(pid, "c/d.txt").text == "b"
    alice.delete(f"/projects/{pid}/files/c")
    names = [f["path"] for f in alice.get(f"/projects/{pid}/files/%2F")["files"]]
    assert "c" not in names and "a" in names
