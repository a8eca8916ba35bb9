//! The catalogue: every check the harness can record, written once. A row names the check's stable id
//! (`area.subject.rule`, never renamed: baselines refer to it), its severity, the clause it enforces,
//! the troubleshooting row of the connector guide it points to, and what to fix. Verdicts refer to a
//! row by id; nothing here runs anything.

use serde::{Deserialize, Serialize};

/// How much a failed check matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// A host will misbehave or a rule is broken: the run fails.
    Error,
    /// Worth fixing, but hosts still work: reported as a warning, the run passes.
    Warning,
}

/// The rows of the connector guide's troubleshooting table.
pub const ROW_ADD: &str = "Connector fails to add";
pub const ROW_TOOLS_FAIL: &str = "Connect succeeds but tools fail";
pub const ROW_PICK: &str = "Host doesn't pick the right tool";
pub const ROW_UI: &str = "UI doesn't render";
pub const ROWS: [&str; 4] = [ROW_ADD, ROW_TOOLS_FAIL, ROW_PICK, ROW_UI];

/// One catalogue row.
#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    pub id: &'static str,
    pub severity: Severity,
    /// The spec clause or guide statement the check enforces.
    pub clause: &'static str,
    /// The troubleshooting row a failure points to, when one fits.
    pub row: Option<&'static str>,
    /// What to fix when it fails.
    pub hint: &'static str,
}

const fn check(
    id: &'static str,
    severity: Severity,
    clause: &'static str,
    row: Option<&'static str>,
    hint: &'static str,
) -> CheckDef {
    CheckDef {
        id,
        severity,
        clause,
        row,
        hint,
    }
}

use Severity::{Error, Warning};

/// Every check, grouped by area.
pub const CHECKS: &[CheckDef] = &[
    // --- Resource-server authorization (MCP 2025-11-25 §Authorization, RFC 9728, RFC 6750)
    check("auth.challenge.www-authenticate", Error,
        "MCP authorization §2.3.1 / RFC 9728 §5.1: a 401 carries WWW-Authenticate: Bearer with resource_metadata",
        Some(ROW_ADD),
        "answer unauthenticated requests with 401 and `WWW-Authenticate: Bearer resource_metadata=\"…\"`, or hosts cannot find the authorization server"),
    check("auth.token.invalid-rejected", Error,
        "RFC 6750 §3.1: an invalid bearer token gets 401 with error=\"invalid_token\"",
        Some(ROW_TOOLS_FAIL),
        "reject unknown, expired or revoked tokens with 401 and `error=\"invalid_token\"` so the host re-authorizes"),
    check("auth.token.audience-bound", Error,
        "MCP authorization §2.5 (token audience binding, RFC 8707): a token issued for one MCP server must be refused by another",
        Some(ROW_TOOLS_FAIL),
        "validate that the token's audience is this endpoint; production and draft are separate resources"),
    check("auth.prm.resource-matches", Error,
        "RFC 9728 §3.3: the protected resource metadata's `resource` equals the URL the client used",
        Some(ROW_ADD),
        "serve protected resource metadata whose `resource` is exactly the MCP endpoint URL"),
    check("auth.as.s256-advertised", Error,
        "MCP authorization §2.4.1: clients MUST refuse an AS whose metadata lacks code_challenge_methods_supported with S256",
        Some(ROW_ADD),
        "advertise `code_challenge_methods_supported: [\"S256\"]` in the authorization server metadata"),
    check("auth.as.pkce-enforced", Error,
        "OAuth 2.1 §4.1.1 / MCP authorization §2.4: PKCE with S256 is required",
        None,
        "refuse authorization requests without `code_challenge` (or with `plain`) and verify `code_verifier` at the token endpoint"),
    check("auth.as.redirect-uri-checked", Error,
        "OAuth 2.1 §2.3.1 / MCP security §open redirection: redirect URIs are compared exactly with the registered ones",
        None,
        "show an error page, never a redirect, when `redirect_uri` is not registered for the client"),
    check("auth.as.state-returned", Error,
        "RFC 6749 §4.1.2: the authorization response returns the client's `state` unchanged",
        Some(ROW_ADD),
        "echo `state` in the redirect back to the host; hosts drop responses without it"),
    check("auth.as.iss-returned", Error,
        "RFC 9207 §2: when `authorization_response_iss_parameter_supported` is true, the response carries `iss`",
        Some(ROW_ADD),
        "add `iss` (the issuer) to every authorization response, or stop advertising RFC 9207"),
    check("auth.as.refresh-rotated", Error,
        "OAuth 2.1 §4.3.1: refresh tokens for public clients are rotated; the used one stops working",
        None,
        "issue a new refresh token on every refresh and refuse the old one with invalid_grant"),
    check("auth.as.revocation-honoured", Error,
        "RFC 7009 §2.1 / connector guide: a revocation takes effect on the next request",
        Some(ROW_TOOLS_FAIL),
        "make revoked grants' tokens fail with 401 on the very next request"),
    // --- Streamable HTTP transport and lifecycle (MCP basic/transports, basic/lifecycle)
    check("transport.session.required", Error,
        "MCP transports §session management: requests without Mcp-Session-Id after initialize get 400",
        None,
        "answer 400 to requests that lack the session id the server issued"),
    check("transport.session.bound", Error,
        "MCP security best practices §session hijacking: a session is bound to the credential that created it",
        None,
        "answer 404 when a session id is presented with another user's credential"),
    check("transport.session.delete-ends", Error,
        "MCP transports §session management: after DELETE the session id gets 404",
        None,
        "end the session on DELETE so later requests with its id get 404"),
    check("transport.json.parse-error", Error,
        "JSON-RPC 2.0 §5.1: malformed JSON gets a -32700 parse error (HTTP 400), never a 5xx",
        None,
        "catch unparsable bodies and answer 400 with a JSON-RPC -32700 error"),
    check("transport.batch.refused", Error,
        "MCP 2025-11-25 changelog: JSON-RPC batching is removed; a batch is an invalid request",
        None,
        "refuse JSON arrays as request bodies (400 / -32600)"),
    check("transport.notification.accepted", Error,
        "MCP transports §sending messages: a notification is answered 202 Accepted with no body",
        None,
        "answer notifications with 202 and an empty body"),
    check("transport.protocol-version.checked", Error,
        "MCP transports §protocol version header: an unsupported MCP-Protocol-Version gets 400",
        None,
        "validate the MCP-Protocol-Version header and answer 400 to versions you do not support"),
    check("transport.origin.checked", Error,
        "MCP transports §security warning: servers MUST validate Origin to prevent DNS rebinding",
        None,
        "answer 403 to requests whose Origin is not an allowed host origin"),
    check("lifecycle.instructions.present", Warning,
        "connector guide: instructions say when to call which tool; they reach the model through initialize",
        Some(ROW_PICK),
        "set the project's instructions: say when to call which tool, not what the schemas already say"),
    // --- Tools (MCP server/tools)
    check("tools.list.pagination", Error,
        "MCP utilities/pagination: cursors are opaque and lead forward; every tool is listed once",
        Some(ROW_ADD),
        "return a `nextCursor` that leads to the next page, and omit it on the last"),
    check("tools.list.cursor-validated", Error,
        "MCP utilities/pagination §error handling: an invalid cursor gets -32602",
        None,
        "answer unknown cursors with JSON-RPC -32602 instead of a page"),
    check("tools.list.input-schema-object", Error,
        "MCP server/tools §tool: inputSchema is a JSON Schema object with type \"object\"",
        Some(ROW_ADD),
        "give every tool an `inputSchema` with `\"type\": \"object\"`; hosts drop or refuse tools without one"),
    check("tools.annotations.consistent", Warning,
        "MCP server/tools §tool annotations: destructiveHint is meaningful only when readOnlyHint is false",
        Some(ROW_PICK),
        "do not mark a tool both read-only and destructive; hosts will ask for confirmation anyway"),
    check("tools.call.unknown-tool", Error,
        "MCP server/tools §error handling: an unknown tool is a protocol error (-32602)",
        None,
        "answer calls to unknown tools with JSON-RPC -32602"),
    check("tools.call.input-validated", Error,
        "MCP server/tools §error handling: arguments are validated against inputSchema; invalid input is an error",
        Some(ROW_TOOLS_FAIL),
        "validate arguments against the tool's inputSchema and answer an `isError` result (or -32602) that says what is wrong"),
    check("tools.call.text-mirror", Error,
        "MCP server/tools §structured content: a tool returning structuredContent SHOULD also return it serialized in a text block",
        Some(ROW_UI),
        "add a text content block with the serialized structuredContent for hosts that read only `content`"),
    check("tools.call.output-schema", Error,
        "MCP server/tools §output schema: structuredContent MUST conform to the tool's outputSchema",
        Some(ROW_TOOLS_FAIL),
        "make structuredContent match the outputSchema the tool advertises"),
    // --- Tasks (MCP 2025-11-25 basic/utilities/tasks)
    check("tasks.required.enforced", Error,
        "MCP tasks §tool-level negotiation: a tool with taskSupport \"required\" called without `task` gets -32601",
        Some(ROW_TOOLS_FAIL),
        "refuse plain calls to task-required tools with -32601 so hosts know to call them as tasks"),
    check("tasks.lifecycle.completes", Error,
        "MCP tasks §task status lifecycle: a task moves from working to a terminal status",
        Some(ROW_TOOLS_FAIL),
        "make long-running tools finish (completed or failed) within their ttl"),
    check("tasks.result.waits", Error,
        "MCP tasks §result retrieval: tasks/result blocks until the task is terminal",
        None,
        "hold tasks/result until the task reaches a terminal status"),
    check("tasks.result.related-meta", Error,
        "MCP tasks §related-task metadata: tasks/result carries _meta io.modelcontextprotocol/related-task",
        None,
        "add `_meta: {\"io.modelcontextprotocol/related-task\": {\"taskId\": …}}` to tasks/result"),
    check("tasks.cancel.terminal-rejected", Error,
        "MCP tasks §cancellation: cancelling a task in a terminal status gets -32602",
        None,
        "refuse tasks/cancel for completed, failed or cancelled tasks with -32602"),
    check("tasks.access.bound-to-requester", Error,
        "MCP tasks §security: tasks are bound to the authorization context that created them",
        Some(ROW_TOOLS_FAIL),
        "answer tasks/get and tasks/result of another user's task as not found, and list only the caller's tasks"),
    // --- UI resources (MCP Apps, Apps SDK)
    check("ui.resource.resolves", Error,
        "MCP Apps §UI resources: every `_meta.ui.resourceUri` and `openai/outputTemplate` resolves through resources/read",
        Some(ROW_UI),
        "serve every UI resource the tools point at through resources/read"),
    check("ui.resource.mime-type", Error,
        "MCP Apps §UI resources: MCP Apps views are text/html;profile=mcp-app (Apps SDK templates text/html+skybridge)",
        Some(ROW_UI),
        "serve MCP Apps views as `text/html;profile=mcp-app` and Apps SDK templates as `text/html+skybridge`"),
    // --- UI rendered as each host renders it (MCP Apps §8, Apps SDK; a real browser)
    check("host.ui.renders", Error,
        "MCP Apps §UI resource / Apps SDK: the host renders a text/html;profile=mcp-app (or, on ChatGPT's Apps SDK path, text/html+skybridge) view in a sandboxed frame; it must load, show content and raise no uncaught error",
        Some(ROW_UI),
        "serve the view with the path's mime type and make it render the tool result without script errors (open the screenshot and the console errors in the evidence)"),
    check("host.ui.handshake", Error,
        "MCP Apps §view-host protocol: the view sends ui/initialize, then ui/notifications/initialized; only then does the host send tool-input and tool-result",
        Some(ROW_UI),
        "make the view send `ui/initialize` on load and `ui/notifications/initialized` after the host answers (the ext-apps App class does both)"),
    check("host.ui.csp-respected", Error,
        "MCP Apps §UI resource: the host builds the view's CSP from _meta.ui.csp and MUST NOT allow undeclared domains (Apps SDK: openai/widgetCSP)",
        Some(ROW_UI),
        "declare every origin the view loads from in `_meta.ui.csp` (resourceDomains for scripts, styles, images, fonts; connectDomains for fetch), or stop loading from it"),
    // --- What a host does (scenario expectations)
    check("host.connector.state", Error,
        "connector guide: a connector is added (green) only for users allowed to authorize it, and turns red when its authorization is lost",
        Some(ROW_ADD),
        "compare the connector's state and reason with the scenario's rule"),
    check("host.connector.instructions", Error,
        "connector guide: the project's instructions reach the model beside the tools, live without a republish",
        Some(ROW_PICK),
        "return the project's current instructions in the initialize result"),
    check("host.tools.listed", Error,
        "connector guide: production lists the published tools, draft every saved tool",
        Some(ROW_ADD),
        "list exactly the tools of the endpoint's environment"),
    check("host.call.confirmation", Error,
        "MCP tool annotations / connector guide: readOnlyHint true is called without asking; other tools are confirmed",
        Some(ROW_PICK),
        "set readOnlyHint and destructiveHint to what the tool really does"),
    check("host.call.badge", Error,
        "MCP tool annotations / connector guide: openWorldHint true shows the host's third-party badge",
        Some(ROW_PICK),
        "set openWorldHint to whether the tool reaches outside services"),
    check("host.call.task", Error,
        "MCP tasks / connector guide: the host calls long-running tools as tasks and polls until completion",
        Some(ROW_TOOLS_FAIL),
        "advertise execution.taskSupport and let tasks reach a terminal status"),
    check("host.call.outcome", Error,
        "connector guide: a call succeeds for users whose role has the scope, and fails with a reason the host can show otherwise",
        Some(ROW_TOOLS_FAIL),
        "compare the call's outcome with the scenario's rule (scope, revocation, result)"),
    check("host.connector.login-session", Error,
        "connector guide: removing a connector drops the host's token; adding it again goes straight to consent while the Metabind session lasts",
        Some(ROW_ADD),
        "keep the authorization server's login session (a secure, HttpOnly cookie) and honour it on later /authorize requests"),
    check("host.session.refreshed", Error,
        "MCP authorization §token handling / OAuth 2.1 §4.3: an expired access token is refreshed without the user noticing",
        Some(ROW_TOOLS_FAIL),
        "issue refresh tokens (offline_access) and answer an expired access token with 401 invalid_token so hosts refresh"),
    check("host.ui.path-supported", Error,
        "MCP Apps §tool-UI link and the Apps SDK: a host renders _meta.ui.resourceUri (MCP Apps) or openai/outputTemplate (ChatGPT); a UI only on the other path is not shown",
        Some(ROW_UI),
        "declare the UI as _meta.ui.resourceUri (text/html;profile=mcp-app) for every host; add openai/outputTemplate for ChatGPT's Apps SDK path"),
    check("tools.call.content-with-ui", Error,
        "MCP Apps §8.1: tools MUST return a meaningful content array even when a UI exists",
        Some(ROW_UI),
        "return a text summary in content beside structuredContent; hosts without the UI and the model read only content"),
    // --- Tool choice review (any target, and scenarios)
    check("review.tool.description", Error,
        "connector guide: the model picks tools by their names, descriptions and the instructions; each description says what the tool does and when",
        Some(ROW_PICK),
        "write a description of a sentence or two per tool: what it does, what it needs, when to use it"),
    check("review.tools.distinguishable", Error,
        "connector guide: descriptions that overlap leave the model unable to tell tools apart",
        Some(ROW_PICK),
        "make each description name what sets the tool apart (its object, its input, when to use it instead of the other)"),
    check("review.instructions.guidance", Warning,
        "connector guide: instructions say when to use which tool, not what the schemas already say",
        Some(ROW_PICK),
        "rewrite the instructions as guidance: which tool for which request, in which order, what to confirm first"),
    check("review.connectors.distinct-names", Warning,
        "connector guide: draft and production are two connectors; enabled together, their same-named tools confuse the model",
        Some(ROW_PICK),
        "enable only one of the draft and production connectors in a conversation"),
];

/// The catalogue row of `id`.
pub fn get(id: &str) -> Option<&'static CheckDef> {
    CHECKS.iter().find(|c| c.id == id)
}

/// The catalogue row of `id`, for ids written in the harness itself (a typo there is a bug).
pub(crate) fn def(id: &str) -> &'static CheckDef {
    get(id).unwrap_or_else(|| panic!("check id {id:?} is not in the catalogue"))
}

/// The closest catalogue id to a misspelt one.
pub fn suggest(id: &str) -> Option<&'static str> {
    crate::scenario::closest(id, CHECKS.iter().map(|c| c.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_area_subject_rule_in_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in CHECKS {
            assert!(seen.insert(c.id), "{} twice", c.id);
            let parts: Vec<&str> = c.id.split('.').collect();
            assert!(parts.len() >= 3, "{}", c.id);
            assert!(
                c.id.chars().all(|ch| ch.is_ascii_lowercase()
                    || ch.is_ascii_digit()
                    || ch == '-'
                    || ch == '.'),
                "{}",
                c.id
            );
            assert!(!c.clause.is_empty() && !c.hint.is_empty());
        }
    }
}
