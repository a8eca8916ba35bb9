//! Named, realistic bugs the server can be started with, so every check of the harness can be shown to
//! fail. Faults live in the server's state (never in globals) so parallel servers do not disturb each
//! other, and each is consulted exactly where the real bug would sit.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $name:literal, )+) => {
        /// A named bug. The doc comment says what goes wrong and which behaviour a check should catch.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Fault {
            /// Every fault, in declaration order (`--list-faults`).
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )+ ];

            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )+ }
            }

            pub fn description(self) -> &'static str {
                match self { $( Fault::$variant => concat!($($doc),+).trim_start(), )+ }
            }
        }
    };
}

faults! {
    /// Requests without `Mcp-Session-Id` get 404 "Session not found", which tells a client that its
    /// session expired (it re-initializes and loops), instead of being served or refused with 400.
    SessionMissing404 = "session-missing-404",
    /// Requests after initialize without `Mcp-Session-Id` get 400, as MCP allows a server that requires
    /// sessions to answer; ChatGPT sends its tool calls on a fresh initialize without the session id
    /// (hosts-observed C20), so they all fail there.
    SessionRequired = "session-required",
    /// Requests after initialize without an `MCP-Protocol-Version` header get 400 instead of being
    /// served as 2025-03-26 (MCP §1.6); Claude's follow-up requests come without it (hosts-observed A25).
    ProtocolVersionHeaderRequired = "protocol-version-header-required",
    /// A session id keeps working when presented with another credential (session hijacking).
    SessionNotBound = "session-not-bound",
    /// DELETE answers 200 but the session keeps working afterwards.
    SessionNotEnded = "session-not-ended",
    /// `server/discover` is not implemented: 404 with -32601, so clients of 2026-07-28 fall back to
    /// `initialize` or give up (2026-07-28 server/discover: servers MUST implement it).
    DiscoverMissing = "discover-missing",
    /// Stateless requests without `_meta` protocol version or client capabilities are served instead
    /// of refused with 400 and -32602 (2026-07-28 basic: such a request is malformed).
    ModernMetaNotRequired = "modern-meta-not-required",
    /// `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and `Mcp-Param-*` are not compared with the
    /// body: a mismatch is served instead of 400 with -32020 (a proxy routing on headers is misled).
    ModernHeadersNotChecked = "modern-headers-not-checked",
    /// An unknown `_meta` protocol version is served instead of 400 with -32022 and `data.supported`.
    ModernVersionNotChecked = "modern-version-not-checked",
    /// An unknown method in the stateless era gets 200 with -32601 instead of 404 with -32601.
    ModernUnknownMethod200 = "modern-unknown-method-200",
    /// Stateless responses carry a freshly minted `Mcp-Session-Id` (2026-07-28: do not mint sessions).
    ModernSessionMinted = "modern-session-minted",
    /// A missing resource is answered with the retired -32002 instead of -32602 (2026-07-28).
    ModernRetiredErrorCode = "modern-retired-error-code",
    /// Stateless results lack `resultType` (2026-07-28: servers MUST include it).
    ModernResultTypeMissing = "modern-result-type-missing",
    /// List, read and discover results lack `ttlMs` and `cacheScope` (2026-07-28 caching: MUST).
    ModernCacheHintsMissing = "modern-cache-hints-missing",
    /// Later pages of a listing carry another `cacheScope` than the first (caching: MUST be the same).
    ModernCacheScopeVaries = "modern-cache-scope-varies",
    /// A tool that must run as a task, called by a client without the tasks extension, is refused with
    /// -32601 at 200 instead of 400 with -32021 naming the extension (2026-07-28: MUST).
    ModernMissingCapabilityNotSignalled = "modern-missing-capability-not-signalled",
    /// A long tool answers `resultType: "task"` to a client that did not declare the tasks extension
    /// (tasks extension: MUST NOT).
    ModernTaskWithoutCapability = "modern-task-without-capability",
    /// `tasks/get` of a completed task omits `result` (tasks extension: the result is inline).
    ModernTaskResultNotInline = "modern-task-result-not-inline",
    /// The stateless `tools/list` drops a tool and another's annotations: the two eras disagree.
    ModernToolsDiffer = "modern-tools-differ",
    /// `server/discover` omits the instructions `initialize` gives: hosts on 2026-07-28 lose them.
    ModernInstructionsMissing = "modern-instructions-missing",
    /// Malformed JSON bodies crash the handler: 500 instead of 400 with -32700.
    BadJson500 = "bad-json-500",
    /// JSON-RPC batches (arrays) are processed instead of refused.
    BatchAccepted = "batch-accepted",
    /// Notifications get 200 with a body instead of 202 Accepted.
    NotificationGets200 = "notification-gets-200",
    /// An unsupported `MCP-Protocol-Version` header is accepted instead of 400.
    ProtocolVersionNotChecked = "protocol-version-not-checked",
    /// `Origin` and `Host` are not validated (DNS rebinding possible).
    OriginNotChecked = "origin-not-checked",
    /// `initialize` omits the project's instructions.
    InstructionsMissing = "instructions-missing",
    /// `tools/list` hands out a `nextCursor` that leads back to the first page.
    PaginationRepeats = "pagination-repeats",
    /// A garbage cursor returns the first page instead of -32602.
    CursorNotValidated = "cursor-not-validated",
    /// The first listed tool declaring `destructiveHint: true` (`place_order` in the default world) is
    /// advertised as read-only and not destructive.
    WrongAnnotations = "wrong-annotations",
    /// The first listed tool declaring `openWorldHint: true` (`check_shipping`, which calls a carrier's
    /// API) is advertised with `openWorldHint: false`.
    OpenWorldHintWrong = "open-world-hint-wrong",
    /// The first listed tool with `taskSupport: "optional"` (`export_catalog`) is advertised as both
    /// read-only and destructive.
    ContradictoryAnnotations = "contradictory-annotations",
    /// The first listed read-only tool with an outputSchema and a required string argument
    /// (`search_products`) has an inputSchema without `"type": "object"`.
    InputSchemaNotObject = "input-schema-not-object",
    /// Production `tools/list` also lists unpublished draft tools.
    DraftToolLeaks = "draft-tool-leaks",
    /// An unknown tool gets a tool result with `isError` instead of JSON-RPC -32602.
    UnknownToolNotError = "unknown-tool-not-error",
    /// Arguments are not validated against the tool's inputSchema.
    InputNotValidated = "input-not-validated",
    /// A result with `structuredContent` lacks its serialized text mirror.
    TextMirrorMissing = "text-mirror-missing",
    /// `structuredContent` does not conform to the tool's outputSchema (a required field is dropped).
    OutputSchemaViolated = "output-schema-violated",
    /// A tool with `taskSupport: "required"` runs when called without a task.
    TaskSupportIgnored = "task-support-ignored",
    /// Tasks stay `working` forever.
    TaskNeverCompletes = "task-never-completes",
    /// `tasks/result` answers at once, before the task is terminal.
    TaskResultEarly = "task-result-early",
    /// `tasks/result` lacks the `io.modelcontextprotocol/related-task` `_meta`.
    RelatedTaskMetaMissing = "related-task-meta-missing",
    /// Cancelling a task that already finished succeeds instead of -32602.
    CancelTerminalAccepted = "cancel-terminal-accepted",
    /// Tasks are not bound to their creator: anyone can read them and `tasks/list` shows all.
    TasksNotBound = "tasks-not-bound",
    /// The UI resource a tool points at (`_meta.ui.resourceUri`) cannot be read.
    UiResourceMissing = "ui-resource-missing",
    /// MCP Apps resources are served as plain `text/html` instead of `text/html;profile=mcp-app`.
    UiWrongMimeType = "ui-wrong-mime-type",
    /// The MCP Apps view declares `_meta.ui.domain` as a plain origin: Claude accepts only its hashed
    /// form and blocks the widget ("Invalid ui.domain format", hosts-observed A38).
    UiDomainPlain = "ui-domain-plain",
    /// `/authorize` accepts requests without PKCE or with `plain`, and the token endpoint skips the verifier.
    PkceNotEnforced = "pkce-not-enforced",
    /// `/authorize` redirects to any `redirect_uri`, registered or not (open redirect).
    RedirectUriNotChecked = "redirect-uri-not-checked",
    /// The authorization response drops the client's `state`.
    StateDropped = "state-dropped",
    /// The authorization response lacks RFC 9207 `iss` although the metadata advertises it.
    IssMissing = "iss-missing",
    /// Access tokens are accepted on every endpoint, not only the one they were issued for.
    AudienceNotChecked = "audience-not-checked",
    /// Revoking a grant (Authorized apps, RFC 7009) changes nothing.
    RevocationIgnored = "revocation-ignored",
    /// Users who are not members of a private project's organization may authorize it.
    NonMemberAllowed = "non-member-allowed",
    /// Scopes are not enforced: grants get what was asked and tokens may call anything.
    ScopeNotEnforced = "scope-not-enforced",
    /// Refresh tokens are not rotated: the same one is handed back and keeps working.
    RefreshNotRotated = "refresh-not-rotated",
    /// A 401 from an MCP endpoint carries no `WWW-Authenticate` challenge.
    NoWwwAuthenticate = "no-www-authenticate",
    /// Protected resource metadata names a `resource` that differs from the endpoint URL.
    PrmResourceWrong = "prm-resource-wrong",
    /// The authorization server metadata does not advertise `code_challenge_methods_supported`.
    S256NotAdvertised = "s256-not-advertised",
    // Scenario catalogue faults
    /// A private project's MCP endpoints (production and draft) serve requests without any token, as if the
    /// project were public.
    PrivateEndpointOpen = "private-endpoint-open",
    /// The public flag is ignored: public projects are treated as private (anonymous requests get 401 and
    /// non-members are refused at consent).
    PublicProjectMembersOnly = "public-project-members-only",
    /// The draft endpoint of a public project answers anonymous requests (it must stay private).
    PublicDraftOpen = "public-draft-open",
    /// Tokens keep the scopes granted at consent: the resource server no longer re-checks the user's current
    /// membership and role, so a member demoted or removed from the organization keeps calling tools.
    MembershipCheckedOnlyAtConsent = "membership-checked-only-at-consent",
    /// Access tokens past their expiry are still accepted by MCP endpoints.
    ExpiredTokensAccepted = "expired-tokens-accepted",
    /// The first listed tool with a UI (`_meta.ui.resourceUri`; `product_card`) is served with a description
    /// derived from the first read-only tool with an outputSchema and a required string argument
    /// (`search_products`): nearly the same words, so a model cannot tell them apart.
    DescriptionsOverlap = "descriptions-overlap",
    /// The first listed tool declaring `openWorldHint: true` is served with a one-word description, the last
    /// word of its name ("Shipping." for `check_shipping`).
    DescriptionTooShort = "description-too-short",
    /// `initialize`'s instructions are a mere restatement of the tool schemas, generated from the tool list,
    /// with no guidance on when to use which tool.
    InstructionsRestateSchema = "instructions-restate-schema",
    /// Every tool declaring `_meta["openai/outputTemplate"]` (`product_card`) advertises only that (no
    /// `_meta.ui.resourceUri`), so hosts that only render MCP Apps have no UI for it.
    UiSkybridgeOnly = "ui-skybridge-only",
    /// Every tool with a UI (`_meta.ui.resourceUri` or `openai/outputTemplate`; `product_card`) returns an
    /// empty `content` array: the model gets nothing.
    UiContentEmpty = "ui-content-empty",
    /// Tools whose annotations lack `readOnlyHint` are listed with `readOnlyHint: true`, a "helpful" default
    /// that makes hosts skip confirmation.
    AbsentHintsDefaulted = "absent-hints-defaulted",
    /// Live studio edits of a tool's title, description or annotations reach only the draft; production keeps
    /// the old values until a publish.
    AnnotationEditsNeedPublish = "annotation-edits-need-publish",
    /// `CreateTaskResult` and `tasks/get` omit `pollInterval`.
    PollIntervalMissing = "poll-interval-missing",
    /// A `task` param on a tool with `taskSupport: "optional"` is ignored: the call runs synchronously and
    /// returns a plain `CallToolResult`.
    OptionalTaskNotCreated = "optional-task-not-created",
    /// A `task` param on a tool without task support creates a task instead of the JSON-RPC error -32601.
    ForbiddenTaskAccepted = "forbidden-task-accepted",
    /// A task whose tool fails ends `completed` (its result `isError: true`) instead of `failed`.
    FailedTaskReportedCompleted = "failed-task-reported-completed",
    /// `tasks/cancel` on a working task answers with the task unchanged (still `working`) and the task runs on
    /// to completion.
    CancelIgnored = "cancel-ignored",
    /// Tasks past their ttl are still served by `tasks/get`, `tasks/result` and `tasks/list` (never expire).
    TaskTtlIgnored = "task-ttl-ignored",
    /// An MCP session keeps the tool list it first listed: publishes and live edits do not show in its later
    /// `tools/list` (a new session sees them).
    ToolsListCachedPerSession = "tools-list-cached-per-session",
    /// Production's `initialize` returns the instructions as of the last publish; live instruction edits
    /// reach only the draft.
    InstructionsFrozenAtPublish = "instructions-frozen-at-publish",
    /// The consent for a draft endpoint issues tokens without the world's draft-execute scope
    /// (`execute:mcp-draft` by default; a scope-mapping bug), so the draft answers 403 insufficient_scope
    /// even to roles with draft testing.
    DraftScopeNotGranted = "draft-scope-not-granted",
    /// Revoking one grant in Authorized apps revokes every grant of the same client in that organization,
    /// other users' included.
    RevocationRevokesAllGrants = "revocation-revokes-all-grants",
    /// The login session cookie is not honoured on later `/authorize` requests: every popup shows the login
    /// page again.
    LoginSessionNotKept = "login-session-not-kept",
    /// Revoked project API keys keep working.
    ApiKeyRevocationIgnored = "api-key-revocation-ignored",
    /// A project API key is accepted on other projects' endpoints, even another organization's.
    ApiKeyProjectNotChecked = "api-key-project-not-checked",
    /// The resource server checks OAuth tokens against the project, not the environment: a draft token
    /// works on production and a production token on the draft (its execute scope counting for both).
    EnvironmentNotChecked = "environment-not-checked",
    // UI views as hosts render them (the harness's browser render checks)
    /// Every UI view runs a script that reads an undefined global: an uncaught `TypeError` on load.
    UiScriptError = "ui-script-error",
    /// Every UI view loads a photo from its organization's asset host `https://assets.<org>.test`, which
    /// its `_meta.ui.csp.resourceDomains` does not declare: the host's CSP blocks it.
    UiCspBlocksOwnAsset = "ui-csp-blocks-own-asset",
    /// The MCP Apps view is the Apps SDK template: it waits for `window.openai` and never starts the
    /// `ui/initialize` handshake, so the host never sends it the tool input or result.
    UiHandshakeSilent = "ui-handshake-silent",
    // Message framing and lifecycle
    /// Responses to `tools/list` carry the request's id as a string (`7` comes back as `"7"`).
    ResponseIdWrong = "response-id-wrong",
    /// A request for a method the server does not implement gets an empty result instead of -32601.
    UnknownMethodNotError = "unknown-method-not-error",
    /// JSON replies are served as `text/plain`.
    ResponseContentTypeWrong = "response-content-type-wrong",
    /// A GET on the endpoint answers 404 instead of an SSE stream or 405.
    GetNotSupported = "get-not-supported",
    /// Minted session ids contain a space (not visible ASCII).
    SessionIdNotAscii = "session-id-not-ascii",
    /// The initialize result omits `serverInfo`.
    ServerInfoMissing = "server-info-missing",
    /// The initialize result omits the `tools` capability, though tools are listed.
    ToolsCapabilityMissing = "tools-capability-missing",
    /// The initialize result omits the `tasks` capability, though tools support tasks.
    TasksCapabilityMissing = "tasks-capability-missing",
    /// `tools/list` pads the description of the first read-only tool with an outputSchema and a required
    /// string argument (`search_products`) to 5 MB.
    HugeResponse = "huge-response",
    // Tools and tasks
    /// The first listed tool with `taskSupport: "optional"` is listed under its name with spaces for
    /// underscores and `/all` appended (`export catalog/all`).
    ToolNameInvalid = "tool-name-invalid",
    /// The first listed read-only tool with an outputSchema and a required string argument
    /// (`search_products`) declares that argument of type `"strng"`: not a JSON Schema.
    SchemaInvalid = "schema-invalid",
    /// `tasks/get` of an unknown task id answers with a made-up working task instead of -32602.
    UnknownTaskNotError = "unknown-task-not-error",
    // Authorization
    /// A request with a live session id and no Authorization header is served as the session's user.
    SessionAuthenticates = "session-authenticates",
    /// An access token in the query string (`?access_token=`) is accepted.
    TokenInQueryAccepted = "token-in-query-accepted",
    /// The protected resource metadata lists no authorization server.
    PrmNoAuthorizationServers = "prm-no-authorization-servers",
    /// The authorization server metadata's `issuer` ends with a slash the PRM's entry does not have.
    IssuerMismatch = "issuer-mismatch",
    /// The authorization server registers public clients only: it lists only the `none` method, offers
    /// no client metadata documents and refuses a registration that asks for a client secret, as the
    /// one Claude could not register with (hosts-observed A2).
    DcrPublicOnly = "dcr-public-only",
    /// Registration answers `token_endpoint_auth_method: client_secret_basic` (and registers the client
    /// so) whatever method was asked for, and offers no client metadata documents (hosts-observed C2:
    /// ChatGPT gives up, Claude uses the method returned).
    DcrEchoesOtherMethod = "dcr-echoes-other-method",
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown fault name, with the closest known one when there is a likely typo.
#[derive(Debug, thiserror::Error)]
#[error("unknown fault {name:?}{}; `--list-faults` names them all", suggestion.map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default())]
pub struct UnknownFault {
    pub name: String,
    pub suggestion: Option<&'static str>,
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFault {
                name: s.to_owned(),
                suggestion: Fault::ALL
                    .iter()
                    .map(|f| (edit_distance(f.name(), s), f.name()))
                    .filter(|(d, _)| *d <= 3)
                    .min()
                    .map(|(_, n)| n),
            })
    }
}

/// The faults a server runs with.
#[derive(Debug, Clone, Default)]
pub struct FaultSet(BTreeSet<Fault>);

impl FaultSet {
    pub fn new(faults: impl IntoIterator<Item = Fault>) -> Self {
        FaultSet(faults.into_iter().collect())
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }

    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.0.iter().copied()
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_name_round_trips() {
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>().unwrap(), *fault);
            assert!(!fault.description().is_empty());
        }
    }

    #[test]
    fn a_misspelt_fault_gets_a_suggestion() {
        let err = "session-requried".parse::<Fault>().unwrap_err();
        assert_eq!(err.suggestion, Some("session-required"));
    }
}
