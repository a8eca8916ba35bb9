"""Runs the Python SDK's simple-auth example, its Authorization Server and its Resource Server (the MCP
endpoint), in one process on 127.0.0.1, on ports the OS picks.

Same factories and settings as its CLIs (`mcp-simple-auth-as --port A` and `mcp-simple-auth-rs --port R
--auth-server http://localhost:A --oauth-strict`), with two changes: URLs name 127.0.0.1 rather than
localhost, and both servers share one process (one PID to kill). Each app must know its own URL and the
other's before it is built, so the sockets are bound first and handed to uvicorn, which leaves no race.
Prints AS_URL=... and URL=... on stdout; scripts/peers/start.sh waits until both answer.
"""

import socket

import anyio
import uvicorn
from pydantic import AnyHttpUrl

from mcp_simple_auth.auth_server import AuthServerSettings, create_authorization_server
from mcp_simple_auth.server import ResourceServerSettings, create_resource_server
from mcp_simple_auth.simple_auth_provider import SimpleAuthSettings

HOST = "127.0.0.1"


def bound() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    return sock, sock.getsockname()[1]


async def main() -> None:
    (as_sock, as_port), (rs_sock, rs_port) = bound(), bound()
    as_url, rs_url = f"http://{HOST}:{as_port}", f"http://{HOST}:{rs_port}/mcp"
    # As in auth_server.main().
    as_settings = AuthServerSettings(
        host=HOST, port=as_port, server_url=AnyHttpUrl(as_url), auth_callback_path=f"{as_url}/login"
    )
    as_app = create_authorization_server(as_settings, SimpleAuthSettings())
    # As in server.main() with --oauth-strict; mcp.run("streamable-http", host=HOST) serves this app.
    rs_settings = ResourceServerSettings(
        host=HOST,
        port=rs_port,
        server_url=AnyHttpUrl(rs_url),
        auth_server_url=AnyHttpUrl(as_url),
        auth_server_introspection_endpoint=f"{as_url}/introspect",
        oauth_strict=True,
    )
    rs_app = create_resource_server(rs_settings).streamable_http_app(host=HOST)
    print(f"AS_URL={as_url}\nURL={rs_url}", flush=True)
    async with anyio.create_task_group() as tg:
        for app, sock, port in ((as_app, as_sock, as_port), (rs_app, rs_sock, rs_port)):
            server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="info"))
            tg.start_soon(server.serve, [sock])


if __name__ == "__main__":
    anyio.run(main)
