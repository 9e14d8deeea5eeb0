"""`cml-local`: serve the local CML API, seed demo data, create users, build the workspace's
Python client."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

DEFAULT_DATA = Path(os.environ.get("CML_LOCAL_DATA", "~/.cml-local")).expanduser()


def _env_pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


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

    seed = sub.add_parser("seed", help="create demo users, projects and jobs; print the keys")
    seed.add_argument("name", choices=["demo"])
    seed.add_argument("--data", type=Path, default=DEFAULT_DATA)

    client = sub.add_parser(
        "build-client", help="generate the Python client cmlapi from a spec; pack it as an sdist"
    )
    client.add_argument("--spec", metavar="FILE", type=Path, required=True)
    client.add_argument("--out", metavar="DIR", type=Path, default=Path("."))

    user = sub.add_parser("create-user", help="create a user and print its API key")
    user.add_argument("username")
    user.add_argument("--data", type=Path, default=DEFAULT_DATA)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "seed" or (args.command == "serve" and args.seed):
        from cml_magic.local.seed import seed_demo

        keys = seed_demo(args.data)
        stream = sys.stdout if args.command == "seed" else sys.stderr
        for username, key in keys.items():
            print(f"{username} {key}", file=stream, flush=True)
    if args.command == "create-user":
        from cml_magic.local.store import Store

        store = Store(args.data)
        try:
            row = store.create_user(args.username)
        except ValueError as exc:
            print(f"cml-local: {exc}", file=sys.stderr)
            return 1
        finally:
            store.close()
        print(f"{row['username']} {row['api_key']}")
        return 0
    if args.command == "build-client":
        return _build_client(args.spec, args.out)
    if args.command == "serve":
        from cml_magic.local.server import serve

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
                spec_file=args.spec,
                python_client_file=args.python_client,
            )
        except ValueError as exc:  # --spec or --python-client unreadable
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
