"""Demo entry point: a small web page, run as an application or as a job.

As an application it serves on the port CML gives applications (`CDSW_APP_PORT`, or
`CDSW_READONLY_PORT` on older workspaces); as a job, where neither is set, on a free port.
It serves until stopped, so a job of it shows stopping a run.
"""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Entry(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = f"entry.py of project {os.environ.get('CDSW_PROJECT', 'cml')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        print(format % args, flush=True)


port = int(os.environ.get("CDSW_APP_PORT") or os.environ.get("CDSW_READONLY_PORT") or 0)
server = HTTPServer(("127.0.0.1", port), Entry)
print(f"entry.py serving on 127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
