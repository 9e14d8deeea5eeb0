"""A deployed model: a loopback HTTP server calling one function of a project file.

Started by the local server as `python -m cml_magic.local.model_worker --file F --function FN
--port-file P`. It answers `POST /` with CML's model response shape: the JSON body's `request`
(or the whole body) is passed to the function, and `{"success": true, "response": <result>}`
comes back; a failing function gives `{"success": false, "message": ...}` with status 500.
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def make_handler(function: Callable[[Any], Any]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._answer(400, {"success": False, "message": "body is not JSON"})
            args = body.get("request", body) if isinstance(body, dict) else body
            try:
                result = function(args)
                payload = json.dumps({"success": True, "response": result})
            except Exception as exc:
                traceback.print_exc()
                return self._answer(
                    500, {"success": False, "message": f"{type(exc).__name__}: {exc}"}
                )
            self._send(200, payload.encode())

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            self._send(status, json.dumps(body).encode())

        def _send(self, status: int, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            sys.stderr.write("model: " + format % args + "\n")

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cml_magic.local.model_worker")
    parser.add_argument("--file", required=True)
    parser.add_argument("--function", required=True)
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    namespace = runpy.run_path(args.file, run_name="cml_model")
    function = namespace.get(args.function)
    if not callable(function):
        print(f"function {args.function!r} not found in {args.file}", file=sys.stderr)
        return 1
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(function))
    port_file = Path(args.port_file)
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(server.server_address[1]))
    tmp.replace(port_file)  # atomic: the supervisor never reads half a number
    print(f"model {args.function} from {args.file} on port {server.server_address[1]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
