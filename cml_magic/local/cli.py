"""`cml-local`: serve the local CML API, seed demo data, create users, build the workspace's
Python client."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from cml_magic.local.listing import MAX_PAGE_SIZE
from cml_magic.local.validate import DEFAULT_MAX_UPLOAD_MB

DEFAULT_DATA = Path(os.environ.get("CML_LOCAL_DATA", "~/.cml-local")).expanduser()
DEMO_USERS = ("alice", "bob")  # the users `seed demo` makes
UNSANDBOXED_HELP = (
    "run workloads without the bubblewrap sandbox (needed for more than one user where"
    " bubblewrap is missing): each workload can then read the state folder and every project"
)


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _megabytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of MiB (1 or more), got {text!r}"
        )
    return value


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of items from 1 to {MAX_PAGE_SIZE}, got {text!r}"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cml-local", description="A local Cloudera Machine Learning (API v2 + v1) server."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--data", type=Path, default=DEFAULT_DATA, help="state folder")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument(
        "--phase-delay", type=float, default=0.3, help="seconds spent in each status phase"
    )
    serve.add_argument(
        "--env",
        type=_env_pair,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a server-wide default environment variable for runs (repeatable)",
    )
    serve.add_argument("--seed", choices=["demo"], help="seed demo data first (idempotent)")
    serve.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="shut down cleanly when the process that started the server ends",
    )

    serve.add_argument(
        "--max-upload-mb",
        type=_megabytes,
        default=DEFAULT_MAX_UPLOAD_MB,
        metavar="N",
        help=f"refuse (413) a file upload larger than N MiB (default {DEFAULT_MAX_UPLOAD_MB})",
    )
    serve.add_argument(
        "--max-page-size",
        type=_page_size,
        metavar="N",
        help="clip every listing page to at most N items, as a workspace may (default: no cap;"
        " the next_page_token leads on to the rest)",
    )
    serve.add_argument("--ssl-certfile", help="serve HTTPS with this PEM certificate (chain)")
    serve.add_argument("--ssl-keyfile", help="the private key of --ssl-certfile")
    serve.add_argument(
        "--spec",
        metavar="FILE",
        help="the workspace's Swagger 2.0 spec (cml_swagger.json), served at /api/v2/swagger.json",
    )
    serve.add_argument(
        "--python-client",
        metavar="FILE",
        help="the workspace's Python client, an sdist (build-client), served at "
        "/api/v2/python.tar.gz",
    )
    serve.add_argument("--unsandboxed", action="store_true", help=UNSANDBOXED_HELP)

    seed = sub.add_parser(
        "seed", help="create demo users, projects and jobs; print the new users' keys (once)"
    )
    seed.add_argument("name", choices=["demo"])
    seed.add_argument("--data", type=Path, default=DEFAULT_DATA)
    seed.add_argument("--unsandboxed", action="store_true", help=UNSANDBOXED_HELP)

    client = sub.add_parser(
        "build-client", help="generate the Python client cmlapi from a spec; pack it as an sdist"
    )
    client.add_argument("--spec", metavar="FILE", type=Path, required=True)
    client.add_argument("--out", metavar="DIR", type=Path, default=Path("."))

    user = sub.add_parser("create-user", help="create a user and print its keys (once)")
    user.add_argument("username")
    user.add_argument("--data", type=Path, default=DEFAULT_DATA)
    user.add_argument("--unsandboxed", action="store_true", help=UNSANDBOXED_HELP)

    rotate = sub.add_parser(
        "rotate-keys", help="replace a user's v2 and legacy keys by new ones; print them"
    )
    rotate.add_argument("username")
    rotate.add_argument("--data", type=Path, default=DEFAULT_DATA)
    return parser


def key_line(username: str, keys: dict[str, str]) -> str:
    """How a user's new keys are shown: `alice  v2=<key>  legacy=<key>`."""
    return f"{username}  v2={keys['api_key']}  legacy={keys['legacy_key']}"


ALREADY_SEEDED = (
    "cml-local: the demo data was seeded before; its keys were shown then and are stored only"
    " as hashes (new ones: cml-local rotate-keys USER)"
)


def _user_keys(args: argparse.Namespace) -> int:
    """`create-user` and `rotate-keys`: print the user's new keys."""
    from cml_magic.local.store import Store, private_files

    with private_files():
        store = Store(args.data)
        try:
            if args.command == "create-user":
                keys = store.create_user(args.username)
            else:
                keys = store.issue_user_keys(args.username)
        except ValueError as exc:
            print(f"cml-local: {exc}", file=sys.stderr)
            return 1
        finally:
            store.close()
    print(key_line(args.username, keys), flush=True)
    return 0


def _refusal(data: Path, unsandboxed: bool, adding: set[str]) -> str | None:
    """Why users may not be added (to make more than one) where no sandbox keeps their
    workloads apart; None when they may."""
    if unsandboxed:
        return None
    from cml_magic.local.sandbox import detect
    from cml_magic.local.store import Store

    store = Store(data)
    try:
        after = len({u["username"] for u in store.users()} | adding)
    finally:
        store.close()
    if after <= 1:
        return None
    found, why = detect(data)
    if found is not None:
        return None
    return (
        f"cml-local: refusing a second user: {why}, so workloads would run unconfined (each could"
        " read every user's keys and projects); install bubblewrap, or pass --unsandboxed"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    seeding = args.command == "seed" or (args.command == "serve" and args.seed)
    adding = {args.username} if args.command == "create-user" else set()
    if seeding:
        adding = set(DEMO_USERS)
    refused = _refusal(args.data, args.unsandboxed, adding) if adding else None
    if refused:
        print(refused, file=sys.stderr)
        return 1
    if seeding:
        from cml_magic.local.seed import seed_demo

        keys = seed_demo(args.data)
        stream = sys.stdout if args.command == "seed" else sys.stderr
        for username, user_keys in keys.items():
            print(key_line(username, user_keys), file=stream, flush=True)
        if not keys:
            print(ALREADY_SEEDED, file=sys.stderr, flush=True)
    if args.command in ("create-user", "rotate-keys"):
        return _user_keys(args)
    if args.command == "build-client":
        return _build_client(args.spec, args.out)
    if args.command == "serve":
        from cml_magic.local.server import SandboxRefused, serve

        try:
            return serve(
                str(args.data),
                args.host,
                args.port,
                args.phase_delay,
                dict(args.env),
                exit_with_parent=args.exit_with_parent,
                ssl_certfile=args.ssl_certfile,
                ssl_keyfile=args.ssl_keyfile,
                max_upload_mb=args.max_upload_mb,
                spec_file=args.spec,
                unsandboxed=args.unsandboxed,
                python_client_file=args.python_client,
                max_page_size=args.max_page_size,
            )
        except (ValueError, SandboxRefused) as exc:  # --spec, --python-client; no sandbox for 2
            print(f"cml-local: {exc}", file=sys.stderr)
            return 1
        except OSError as exc:
            print(f"cml-local: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
    return 0


def _build_client(spec: Path, out: Path) -> int:
    from cml_magic.local.workspace_client import GenerationFailed, Missing, build

    if not spec.is_file():
        print(f"cml-local: --spec {spec}: no such file", file=sys.stderr)
        return 1
    try:
        print(build(spec, out))
    except Missing as exc:
        print(f"cml-local: cannot generate the client: {exc}", file=sys.stderr)
        return 1
    except GenerationFailed as exc:
        print(f"cml-local: cannot generate the client from {spec}: {exc.reason}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired:
        print("cml-local: OpenAPI Generator did not finish within 300 s", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"cml-local: cannot build the client: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
