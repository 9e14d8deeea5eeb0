"""The files API under hostile paths and uploads: 4xx with short messages that never show the
server's paths, links a job left (dangling, looping) list and delete, renames never overwrite,
and uploads stream to disk under a size cap, leaving no file behind when they fail."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support.hostile import User, check_refusal, listings_work
from support.waits import wait_for

from cml_magic.local import LocalCML

CAP_MB = 2


@pytest.fixture(scope="module")
def server() -> Iterator[LocalCML]:
    with LocalCML(seed="demo", phase_delay=0.05, max_upload_mb=CAP_MB) as server:
        yield server


@pytest.fixture(scope="module")
def alice(server: LocalCML) -> User:
    return User(server, "alice")


@pytest.fixture(scope="module")
def bob(server: LocalCML) -> User:
    return User(server, "bob")


@pytest.fixture
def project(server: LocalCML, alice: User) -> dict[str, Any]:
    """A fresh project of alice's with a file and a folder; `folder` is where it lives on disk
    (where a job would leave links)."""
    made = alice.scratch({"a.txt": "alpha", "data/in.csv": "1,2\n"})
    return {**made, "folder": server.data_dir / "projects" / made["id"]}


def _listed(alice: User, pid: str, path: str = "%2F") -> dict[str, dict[str, Any]]:
    return {f["path"]: f for f in alice.ok("GET", f"/projects/{pid}/files/{path}")["files"]}


def test_nul_and_over_long_names_are_refused(alice: User, project: dict[str, Any]) -> None:
    files = f"/projects/{project['id']}/files"
    long_name = "é" * 128  # 256 bytes in UTF-8, 128 characters
    for bad in ("a%00b", "data/x%00", long_name, "data/" + "n" * 256):
        alice.refused("GET", f"{files}/{bad}", status=400)
        alice.refused("POST", f"{files}/{bad}:download", status=400)
        alice.refused("DELETE", f"{files}/{bad}", status=400)
        alice.refused("PATCH", f"{files}/a.txt", {"path": bad.replace("%00", "\x00")}, 400)
    upload = {long_name: ("x", b"x")}
    resp = alice.session.post(alice.base + files, files=upload, timeout=30)
    check_refusal(alice.server, resp, 400)
    assert set(_listed(alice, project["id"])) == {"a.txt", "data"}


def test_a_symlink_loop_is_refused_and_still_lists(alice: User, project: dict[str, Any]) -> None:
    os.symlink("loop", project["folder"] / "loop")
    os.symlink("ping", project["folder"] / "pong")
    os.symlink("pong", project["folder"] / "ping")
    files = f"/projects/{project['id']}/files"
    for path in ("loop", "loop/inner", "ping"):
        message = alice.refused("GET", f"{files}/{path}", status=400)
        assert "link" in message
        alice.refused("POST", f"{files}/{path}:download", status=400)
    listed = _listed(alice, project["id"])
    assert {"loop", "ping", "pong"} <= set(listed) and listed["loop"]["is_dir"] is False
    alice.ok("DELETE", f"{files}/loop")
    alice.ok("DELETE", f"{files}/ping")
    assert not os.path.lexists(project["folder"] / "loop")
    assert "ping" not in _listed(alice, project["id"])


def test_a_dangling_link_a_job_left_lists_and_deletes(
    server: LocalCML, alice: User, bob: User, project: dict[str, Any]
) -> None:
    os.symlink("gone.txt", project["folder"] / "dangling")
    os.symlink("a.txt", project["folder"] / "data" / "to-a")  # dangling: a.txt is one level up
    os.symlink("/etc/passwd", project["folder"] / "outside")
    listed = _listed(alice, project["id"])
    assert listed["dangling"]["is_dir"] is False and "outside" in listed
    assert "to-a" in _listed(alice, project["id"], "data")
    files = f"/projects/{project['id']}/files"
    alice.refused("POST", f"{files}/outside:download")  # what it points to stays unreadable
    for path in ("dangling", "data/to-a", "outside"):
        alice.ok("DELETE", f"{files}/{path}")
    assert Path("/etc/passwd").exists()  # the link went, not its target
    assert set(_listed(alice, project["id"])) == {"a.txt", "data"}
    listings_work(server, alice, bob)


def test_renames_onto_the_folder_itself_a_folder_or_a_file_are_refused(
    alice: User, project: dict[str, Any]
) -> None:
    files = f"/projects/{project['id']}/files"
    alice.refused("PATCH", f"{files}/a.txt", {"path": "."}, 400)
    alice.refused("PATCH", f"{files}/a.txt", {"path": "/"}, 400)
    alice.refused("PATCH", f"{files}/a.txt", {"path": "data"}, 409)
    alice.refused("PATCH", f"{files}/data", {"path": "data/inner"}, 400)
    resp = alice.session.post(
        f"{alice.base}{files}", files={"b.txt": ("b.txt", b"bravo")}, timeout=30
    )
    assert resp.status_code == 200
    message = alice.refused("PATCH", f"{files}/a.txt", {"path": "b.txt"}, 409)
    assert "already exists" in message
    assert alice.session.post(f"{alice.base}{files}/b.txt:download").text == "bravo"
    assert alice.session.post(f"{alice.base}{files}/a.txt:download").text == "alpha"
    moved = alice.ok("PATCH", f"{files}/a.txt", {"path": "new/c.txt"})
    assert moved == {"path": "new/c.txt", "is_dir": False, "file_size": "5"}


# uploads -------------------------------------------------------------------------------------


def _multipart(field: str, size: int, boundary: str) -> Iterator[bytes]:
    """A one-file multipart body of `size` bytes, produced a chunk at a time."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="f"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    chunk = b"z" * 2**20
    sent = 0
    while sent < size:
        piece = chunk[: min(len(chunk), size - sent)]
        sent += len(piece)
        yield piece
    yield f"\r\n--{boundary}--\r\n".encode()


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if ".cml" not in p.parts)


def test_an_upload_over_the_cap_is_refused_and_leaves_nothing(
    server: LocalCML, alice: User, project: dict[str, Any]
) -> None:
    files = f"{alice.base}/projects/{project['id']}/files"
    before = _leftovers(project["folder"])
    boundary = uuid.uuid4().hex
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    # Without a Content-Length (chunked): the server counts what arrives.
    resp = alice.session.post(
        files, data=_multipart("big.bin", (CAP_MB + 1) * 2**20, boundary), headers=headers
    )
    assert resp.status_code == 413, resp.text
    assert "2 MiB" in check_refusal(server, resp, 413)
    # With a Content-Length over the cap: refused before the body is read.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST /api/v2/projects/{project['id']}/files HTTP/1.1\r\n"
                f"Host: x\r\nAuthorization: Bearer {server.keys['alice']}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {50 * 2**30}\r\n\r\n"
            ).encode()
            + next(_multipart("huge.bin", 0, boundary))
        )
        answer = sock.recv(65536).decode()
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert _leftovers(project["folder"]) == before
    under = alice.session.post(files, data=_multipart("ok.bin", 2**20, boundary), headers=headers)
    assert under.status_code == 200, under.text
    assert (project["folder"] / "ok.bin").stat().st_size == 2**20


def test_an_upload_cut_off_midway_leaves_no_truncated_file(
    server: LocalCML, project: dict[str, Any]
) -> None:
    boundary = uuid.uuid4().hex
    before = _leftovers(project["folder"])
    body = _multipart("cut.bin", 2**20, boundary)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            (
                f"POST /api/v2/projects/{project['id']}/files HTTP/1.1\r\n"
                f"Host: x\r\nAuthorization: Bearer {server.keys['alice']}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {2**20 + 400}\r\n\r\n"
            ).encode()
        )
        sock.sendall(next(body))
        sock.sendall(b"z" * 300_000)  # part of the file; then the client goes away
        time.sleep(0.2)
    # The server notices the disconnect and removes what it had written so far.
    wait_for(lambda: _leftovers(project["folder"]) == before, "the partial upload to go")
    assert not (project["folder"] / "cut.bin").exists()


def test_an_upload_that_ends_early_is_refused_and_leaves_nothing(
    alice: User, project: dict[str, Any]
) -> None:
    boundary = uuid.uuid4().hex
    before = _leftovers(project["folder"])
    truncated = b"".join(list(_multipart("short.bin", 1000, boundary))[:-1])  # no closing boundary
    resp = alice.session.post(
        f"{alice.base}/projects/{project['id']}/files",
        data=truncated,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    check_refusal(alice.server, resp, 400)
    assert _leftovers(project["folder"]) == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[User, Path]]:
    """A demo server that may write no file larger than 4 MiB (RLIMIT_FSIZE; Python ignores
    SIGXFSZ, so a longer write fails with EFBIG as on a full disk): (alice, data folder)."""
    from cml_magic.local.harness import READY

    server = LocalCML(tmp_path, seed="demo")
    server.start().stop()  # seeded, and its keys known; served again below under the limit

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4 * 2**20, 4 * 2**20))

    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    cmd = [sys.executable, "-m", "cml_magic.local", "serve", "--data", str(tmp_path),
           "--phase-delay", "0.05", "--exit-with-parent"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=limit)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith(READY), (tmp_path / "server.log").read_text()
        server.url = line[len(READY) :].strip()
        yield User(server, "alice"), tmp_path
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()


def test_an_upload_onto_a_full_disk_leaves_no_truncated_file(small_disk: tuple[User, Path]) -> None:
    alice, data_dir = small_disk
    project = alice.ok("POST", "/projects", {"name": "full-disk"})
    folder = data_dir / "projects" / project["id"]
    boundary = uuid.uuid4().hex
    resp = alice.session.post(
        f"{alice.base}/projects/{project['id']}/files",
        data=_multipart("big.bin", 6 * 2**20, boundary),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert resp.status_code == 507, resp.text
    assert "disk space" in resp.json()["message"] and str(data_dir) not in resp.text
    assert _leftovers(folder) == []
    small = alice.session.post(
        f"{alice.base}/projects/{project['id']}/files", files={"s.txt": ("s", b"ok")}, timeout=30
    )
    assert small.status_code == 200 and (folder / "s.txt").read_bytes() == b"ok"


@pytest.fixture
def peak_memory() -> Any:
    """`peak_memory(pid)`: the process's peak resident memory in bytes (Linux /proc)."""

    def read(pid: int) -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmHWM line")

    if not Path(f"/proc/{os.getpid()}/status").exists():
        pytest.skip("peak memory is read from /proc/<pid>/status, which this system lacks")
    return read


def test_a_large_upload_streams_to_disk(local_cml_factory: Any, peak_memory: Any) -> None:
    server = local_cml_factory()
    alice = User(server, "alice")
    project = alice.ok("POST", "/projects", {"name": "big-upload"})
    assert server._proc is not None
    before = peak_memory(server._proc.pid)
    boundary = uuid.uuid4().hex
    size = 96 * 2**20
    resp = alice.session.post(
        f"{alice.base}/projects/{project['id']}/files",
        data=_multipart("big.bin", size, boundary),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert resp.status_code == 200, resp.text
    assert (server.data_dir / "projects" / project["id"] / "big.bin").stat().st_size == size
    grown = peak_memory(server._proc.pid) - before
    assert grown < size // 3, f"the server's peak memory grew by {grown >> 20} MiB"


def test_max_upload_mb_must_be_a_positive_whole_number(tmp_path: Path) -> None:
    for bad in ("0", "-1", "lots"):
        done = subprocess.run(
            [sys.executable, "-m", "cml_magic.local", "serve", "--data", str(tmp_path),
             "--max-upload-mb", bad],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 2 and "--max-upload-mb" in done.stderr, done.stderr
        assert "whole number" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_requests_outside_the_folder_never_show_server_paths(
    server: LocalCML, alice: User, project: dict[str, Any]
) -> None:
    files = f"/projects/{project['id']}/files"
    for path in ("..%2F..", "..%2F..%2Fcml-local.sqlite3", "data/..%2F..%2F..", "nowhere/x"):
        resp = alice.send("GET", f"{files}/{path}")
        check_refusal(server, resp)
    resp = requests.post(
        f"{alice.base}{files}/..%2F..%2Fcml-local.sqlite3:download",
        headers={"authorization": f"Bearer {server.keys['alice']}"},
        timeout=30,
    )
    check_refusal(server, resp)
