// A small MCP server on the TypeScript SDK v2 (@modelcontextprotocol/server 2.4.0), for interop:
// the 2026-07-28 stateless era from one per-request factory, with the SDK's stateless fallback for
// 2025 clients (`--modern-only` turns the fallback off: legacy: 'reject'). No auth. Listens on
// 127.0.0.1 (PORT=0: the OS picks) and prints "listening on http://127.0.0.1:PORT/mcp".
import http from "node:http";
import {
  McpServer,
  createMcpHandler,
  fromJsonSchema,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from "@modelcontextprotocol/server";

const modernOnly = process.argv.includes("--modern-only");

function factory() {
  const server = new McpServer(
    { name: "ts-v2-peer", version: "1.0.0" },
    { instructions: "Use lookup_city for a city's country; now tells the server time." },
  );
  server.registerTool(
    "lookup_city",
    {
      title: "Look up city",
      description: "The country a city is in (a tiny fixed table).",
      inputSchema: fromJsonSchema({
        type: "object",
        properties: { city: { type: "string" } },
        required: ["city"],
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ city }) => ({
      content: [{ type: "text", text: `${city}: ${{ Paris: "France", Tokyo: "Japan" }[city] ?? "unknown"}` }],
    }),
  );
  server.registerTool(
    "now",
    {
      title: "Server time",
      description: "The server's current time (ISO 8601).",
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => ({ content: [{ type: "text", text: new Date().toISOString() }] }),
  );
  return server;
}

const handler = createMcpHandler(factory, modernOnly ? { legacy: "reject" } : {});

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const url = `http://${req.headers.host}${req.url}`;
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
  }
  const request = new Request(url, {
    method: req.method,
    headers,
    body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
  });
  const rejected =
    hostHeaderValidationResponse(request, localhostAllowedHostnames()) ??
    originValidationResponse(request, localhostAllowedOrigins());
  const response = rejected ?? (await handler.fetch(request));
  res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
  if (response.body) {
    for await (const chunk of response.body) res.write(chunk);
  }
  res.end();
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/mcp`);
});
