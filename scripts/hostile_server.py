"""A hostile MCP endpoint for scripts/measure-hostile.sh: it streams replies far larger than any
limit without holding them in memory. Usage: hostile_server.py MODE; prints the port on stdout.
Modes: huge-reply (a 200 MB JSON body), huge-prm (a 401 pointing at a 1 GB resource metadata
document), huge-sse (an event stream whose one data line is 100 MB)."""
import http.server
import sys

MB = 1 << 20
CHUNK = b"a" * MB
MODE = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def stream(self, status, content_type, head, megabytes, extra_headers=()):
        self.send_response(status)
        self.send_header("content-type", content_type)
        for name, value in extra_headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(head) + megabytes * MB))
        self.end_headers()
        try:
            self.wfile.write(head)
            for _ in range(megabytes):
                self.wfile.write(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the harness stopped reading at its limit, as it should

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if MODE == "huge-reply":
            self.stream(200, "application/json", b'{"jsonrpc":"2.0","id":1,"result":{"padding":"', 200)
        elif MODE == "huge-prm":
            port = self.server.server_address[1]
            challenge = f'Bearer resource_metadata="http://127.0.0.1:{port}/prm"'
            self.stream(401, "application/json", b"{}", 0, [("www-authenticate", challenge)])
        else:
            self.stream(200, "text/event-stream", b"event: message\ndata: ", 100)

    def do_GET(self):
        if MODE == "huge-prm" and self.path.startswith("/prm"):
            self.stream(200, "application/json", b'{"resource":"', 1024)
        else:
            self.stream(405, "text/plain", b"", 0)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
