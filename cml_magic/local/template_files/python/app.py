"""Demo application: a tiny web page on the port CML gives applications."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = f"hello from {os.environ.get('CDSW_PROJECT', 'cml')}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


port = int(os.environ.get("CDSW_APP_PORT", "8100"))
server = HTTPServer(("127.0.0.1", port), Hello)
print(f"serving on 127.0.0.1:{port}", flush=True)  # once listening: a reader may connect now
server.serve_forever()
