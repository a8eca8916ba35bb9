"""A hostile MCP endpoint for scripts/measure-hostile.sh: it streams replies far larger than any
limit without holding them in memory. Usage: hostile_server.py MODE; prints the port on stdout.
Modes: huge-reply (a 200 MB JSON body), huge-prm (a 401 pointing at a 1 GB resource metadata
document), huge-sse (an event stream whose one data line is 100 MB), tools-10k and tools-100k (an
open MCP endpoint listing that many similar tools, 1000 per page)."""
import http.server
import json
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

    def rpc(self, body):
        try:
            message = json.loads(body)
        except ValueError:
            return self.stream(400, "text/plain", b"bad json", 0)
        if not isinstance(message, dict):
            return self.stream(400, "text/plain", b"no batches", 0)
        if "id" not in message:
            return self.stream(202, "text/plain", b"", 0)
        method, params = message.get("method"), message.get("params") or {}
        if method == "initialize":
            result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                      "serverInfo": {"name": "many-tools", "version": "1"}}
        elif method == "tools/list":
            total = 10_000 if MODE == "tools-10k" else 100_000
            cursor = str(params.get("cursor") or "0")
            if not cursor.isdigit():
                error = {"code": -32602, "message": "invalid cursor"}
                reply = {"jsonrpc": "2.0", "id": message["id"], "error": error}
                return self.stream(200, "application/json", json.dumps(reply).encode(), 0)
            start = int(cursor)
            end = min(start + 1000, total)
            tools = [{"name": f"lookup_record_{i}",
                      "description": f"Look up record number {i} in the shared catalogue and return it.",
                      "inputSchema": {"type": "object"},
                      "annotations": {"readOnlyHint": True}} for i in range(start, end)]
            result = {"tools": tools}
            if end < total:
                result["nextCursor"] = str(end)
        elif method == "ping":
            result = {}
        else:
            error = {"code": -32601, "message": "Method not found"}
            reply = {"jsonrpc": "2.0", "id": message["id"], "error": error}
            return self.stream(200, "application/json", json.dumps(reply).encode(), 0)
        reply = {"jsonrpc": "2.0", "id": message["id"], "result": result}
        self.stream(200, "application/json", json.dumps(reply).encode(), 0)

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length)
        if MODE.startswith("tools-"):
            self.rpc(body)
        elif MODE == "huge-reply":
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
