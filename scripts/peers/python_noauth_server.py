"""A small MCP server on the official Python SDK (mcp 2.3.0), for calibration and interop tests.

Streamable HTTP on 127.0.0.1, no auth. Stateful by default (initialize + Mcp-Session-Id, the 2025-11-25
era); --stateless gives a fresh transport per request. Either way mcp 2.3.0 also answers the 2026-07-28
per-request envelope (server/discover). --port 0 (the default) lets the OS pick; uvicorn logs the bound
port ("Uvicorn running on http://127.0.0.1:PORT"), which scripts/peers/start.sh reads.
"""

import argparse
from datetime import datetime, timezone

from pydantic import BaseModel

from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

mcp = MCPServer(
    name="python-noauth",
    version="1.0.0",
    instructions="Notes demo: add_note stores a note, the notes://all resource lists them. "
    "server_time and forecast only read.",
)
NOTES: list[dict[str, str]] = []


class Forecast(BaseModel):
    city: str
    days: int
    temperature_c: float
    conditions: str


# structured_output=False: plain text content and no outputSchema, unlike forecast.
@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True), structured_output=False)
def server_time() -> str:
    """The server's current UTC time (ISO 8601). Reads nothing, changes nothing."""
    return datetime.now(timezone.utc).isoformat()


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
def forecast(city: str, days: int = 1) -> Forecast:
    """A made-up weather forecast; the result is structured (the tool has an outputSchema)."""
    return Forecast(city=city, days=days, temperature_c=21.5, conditions="sunny")


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=False, destructiveHint=False), structured_output=False)
def add_note(title: str, body: str) -> str:
    """Store a note in memory (both arguments required)."""
    NOTES.append({"title": title, "body": body})
    return f"stored note {len(NOTES)}: {title}"


@mcp.resource("notes://all", name="notes", mime_type="application/json")
def all_notes() -> list[dict[str, str]]:
    """Every note stored so far."""
    return NOTES


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stateless", action="store_true", help="no sessions: a fresh transport per request")
    args = parser.parse_args()
    # host 127.0.0.1 also turns on the SDK's DNS-rebinding protection (Host and Origin allow-lists).
    mcp.run("streamable-http", host="127.0.0.1", port=args.port, stateless_http=args.stateless)
