//! Self-tests: a check that cannot fail is a defect. Each row names a fault of the reference server,
//! where it shows (the protocol sweep, or a scenario on a host) and the checks that must then fail.
//! Two more trials prove the table covers every fault and every check of the catalogue.

mod support;

use metabind_conformance::target::World;
use support::Mode;

use std::collections::BTreeSet;

use libtest_mimic::{Arguments, Trial};
use metabind_conformance::checks::{catalogue, Status};
use metabind_conformance::report::text::describe_check;
use metabind_reference_server::Fault;

/// Where a fault is looked for: the sweep, or a scenario on one host.
#[derive(Clone, Copy)]
enum Probe {
    Sweep,
    Scenario(&'static str, &'static str),
}

use Probe::{Scenario, Sweep};

/// The fault column of a row whose scenario provokes the finding on a clean server (a host-side
/// configuration such as two connectors enabled together): the finding must then be reported as the
/// scenario's expected one. On a sweep row, the clean world itself shows it (a tool that requires
/// tasks, which hosts are not seen sending).
const PROVOKED: &str = "none";

/// fault → where → check ids that must fail (or warn, for warning-severity checks).
const TABLE: &[(&str, Probe, &[&str])] = &[
    (
        "session-missing-404",
        Sweep,
        &["transport.session.required", "host.calls.sessionless"],
    ),
    ("session-required", Sweep, &["host.calls.sessionless"]),
    // The default world is built as Metabind's guide describes: a long-running tool that requires
    // tasks, hints left to their defaults, views without a widget domain.
    (
        PROVOKED,
        Sweep,
        &["host.tools.task-required-usable", "host.directory.ready"],
    ),
    (
        "protocol-version-header-required",
        Sweep,
        &["host.requests.without-protocol-version"],
    ),
    // Claude omits the version header on the 2025 path only: the stateless era always sends it.
    (
        "protocol-version-header-required",
        Scenario("connect/member-calls-a-tool@legacy", "claude-desktop"),
        &["host.connector.state"],
    ),
    ("ui-domain-plain", Sweep, &["host.directory.ready"]),
    (
        "ui-domain-plain",
        Scenario("ui/product-card-renders", "claude-desktop"),
        &["host.ui.renders"],
    ),
    (
        "dcr-public-only",
        Scenario("connect/member-calls-a-tool", "claude-desktop"),
        &["host.connector.state"],
    ),
    (
        "dcr-echoes-other-method",
        Scenario("connect/member-calls-a-tool", "chatgpt"),
        &["host.connector.state"],
    ),
    // The stateless era (MCP 2026-07-28): one row per rule of the sweep's modern section.
    ("discover-missing", Sweep, &["modern.discover.answers"]),
    (
        "discover-missing",
        Scenario("connect/discovered-in-2026", "chatgpt"),
        &["host.connector.era"],
    ),
    // Claude leaves the version header off on the 2025 path it falls back to.
    (
        "protocol-version-header-required",
        Scenario("connect/legacy-only-falls-back", "claude-desktop"),
        &["host.connector.state"],
    ),
    ("modern-meta-not-required", Sweep, &["modern.meta.required"]),
    (
        "modern-headers-not-checked",
        Sweep,
        &["modern.headers.mismatch-refused"],
    ),
    (
        "modern-version-not-checked",
        Sweep,
        &["modern.version.unsupported-refused"],
    ),
    (
        "modern-unknown-method-200",
        Sweep,
        &["modern.method.unknown-404"],
    ),
    ("modern-session-minted", Sweep, &["modern.session.none"]),
    ("modern-retired-error-code", Sweep, &["modern.errors.codes"]),
    (
        "modern-result-type-missing",
        Sweep,
        &["modern.result-type.present"],
    ),
    ("modern-cache-hints-missing", Sweep, &["modern.cache.hints"]),
    (
        "modern-cache-scope-varies",
        Sweep,
        &["modern.cache.scope-consistent"],
    ),
    (
        "modern-missing-capability-not-signalled",
        Sweep,
        &["modern.capability.missing-refused"],
    ),
    (
        "modern-task-without-capability",
        Sweep,
        &["modern.tasks.capability-respected"],
    ),
    (
        "modern-task-result-not-inline",
        Sweep,
        &["modern.tasks.lifecycle"],
    ),
    ("modern-tools-differ", Sweep, &["host.eras.same-tools"]),
    (
        "modern-instructions-missing",
        Sweep,
        &["host.eras.same-instructions"],
    ),
    ("session-not-bound", Sweep, &["transport.session.bound"]),
    (
        "session-not-ended",
        Sweep,
        &["transport.session.delete-ends"],
    ),
    ("bad-json-500", Sweep, &["transport.json.parse-error"]),
    ("batch-accepted", Sweep, &["transport.batch.refused"]),
    (
        "notification-gets-200",
        Sweep,
        &["transport.notification.accepted"],
    ),
    (
        "protocol-version-not-checked",
        Sweep,
        &["transport.protocol-version.checked"],
    ),
    ("origin-not-checked", Sweep, &["transport.origin.checked"]),
    (
        "instructions-missing",
        Sweep,
        &["lifecycle.instructions.present"],
    ),
    (
        "instructions-missing",
        Scenario("connect/member-adds", "claude-desktop"),
        &["host.connector.instructions"],
    ),
    (
        "pagination-repeats",
        Sweep,
        &["tools.list.pagination", "tools.list.unique-names"],
    ),
    (
        "cursor-not-validated",
        Sweep,
        &["tools.list.cursor-validated"],
    ),
    (
        "input-schema-not-object",
        Sweep,
        &["tools.list.input-schema-object"],
    ),
    (
        "contradictory-annotations",
        Sweep,
        &[
            "tools.annotations.consistent",
            "host.tools.destructive-confirmed",
        ],
    ),
    (
        "wrong-annotations",
        Scenario("annotations/storefront-hints", "chatgpt"),
        &["host.call.confirmation"],
    ),
    (
        "open-world-hint-wrong",
        Scenario("annotations/storefront-hints", "claude-desktop"),
        &["host.call.badge"],
    ),
    (
        "draft-tool-leaks",
        Scenario("environments/draft-only-tool", "chatgpt"),
        &["host.tools.listed"],
    ),
    (
        "unknown-tool-not-error",
        Sweep,
        &["tools.call.unknown-tool"],
    ),
    (
        "input-not-validated",
        Sweep,
        &["tools.call.input-validated"],
    ),
    ("text-mirror-missing", Sweep, &["tools.call.text-mirror"]),
    (
        "output-schema-violated",
        Sweep,
        &["tools.call.output-schema"],
    ),
    ("task-support-ignored", Sweep, &["tasks.required.enforced"]),
    (
        "task-never-completes",
        Sweep,
        &["tasks.lifecycle.completes"],
    ),
    (
        "task-never-completes",
        Scenario("tasks/required-polled", "chatgpt"),
        &["host.call.task", "host.call.outcome"],
    ),
    ("task-result-early", Sweep, &["tasks.result.waits"]),
    (
        "related-task-meta-missing",
        Sweep,
        &["tasks.result.related-meta"],
    ),
    (
        "cancel-terminal-accepted",
        Sweep,
        &["tasks.cancel.terminal-rejected"],
    ),
    (
        "tasks-not-bound",
        Sweep,
        &["tasks.access.bound-to-requester"],
    ),
    ("ui-resource-missing", Sweep, &["ui.resource.resolves"]),
    ("ui-wrong-mime-type", Sweep, &["ui.resource.mime-type"]),
    ("pkce-not-enforced", Sweep, &["auth.as.pkce-enforced"]),
    (
        "redirect-uri-not-checked",
        Sweep,
        &["auth.as.redirect-uri-checked"],
    ),
    ("state-dropped", Sweep, &["auth.as.state-returned"]),
    ("iss-missing", Sweep, &["auth.as.iss-returned"]),
    (
        "audience-not-checked",
        Sweep,
        &["auth.token.audience-bound"],
    ),
    (
        "revocation-ignored",
        Sweep,
        &["auth.as.revocation-honoured"],
    ),
    (
        "revocation-ignored",
        Scenario("grants/revoked-server-side", "chatgpt"),
        &["host.call.outcome", "host.connector.state"],
    ),
    (
        "revocation-ignored",
        Scenario("grants/revoked-server-side@legacy", "claude-desktop"),
        &["host.call.outcome", "host.connector.state"],
    ),
    (
        "non-member-allowed",
        Scenario("connect/not-a-member", "chatgpt"),
        &["host.connector.state"],
    ),
    (
        "scope-not-enforced",
        Scenario("roles/viewer-lacks-scope", "claude-desktop"),
        &["host.call.outcome"],
    ),
    ("refresh-not-rotated", Sweep, &["auth.as.refresh-rotated"]),
    (
        "no-www-authenticate",
        Sweep,
        &[
            "auth.challenge.www-authenticate",
            "auth.token.invalid-rejected",
        ],
    ),
    ("prm-resource-wrong", Sweep, &["auth.prm.resource-matches"]),
    ("s256-not-advertised", Sweep, &["auth.as.s256-advertised"]),
    // The scenario catalogue: every scenario fails for a named fault, its finding naming the row or rule.
    (
        "private-endpoint-open",
        Scenario("connect/popup-blocked", "chatgpt"),
        &["host.connector.state"],
    ),
    (
        "private-endpoint-open",
        Scenario("sharing/public-to-private", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "public-project-members-only",
        Scenario("sharing/public-project", "chatgpt"),
        &["host.connector.state"],
    ),
    (
        "public-project-members-only",
        Scenario("sharing/public-anonymous", "claude-desktop"),
        &["host.connector.state"],
    ),
    (
        "public-draft-open",
        Scenario("sharing/public-anonymous", "chatgpt"),
        &["host.connector.state"],
    ),
    (
        "membership-checked-only-at-consent",
        Scenario("roles/role-reduced", "chatgpt"),
        &["host.call.outcome"],
    ),
    (
        "membership-checked-only-at-consent",
        Scenario("roles/member-removed", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "expired-tokens-accepted",
        Scenario("grants/session-expired", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "expired-tokens-accepted",
        Scenario("sharing/silent-refresh", "chatgpt"),
        &["host.session.refreshed"],
    ),
    (
        "descriptions-overlap",
        Scenario("tool-choice/review", "chatgpt"),
        &["review.tools.distinguishable"],
    ),
    (
        "descriptions-overlap",
        Sweep,
        &["review.tools.distinguishable"],
    ),
    (
        "description-too-short",
        Scenario("tool-choice/review", "claude-desktop"),
        &["review.tool.description"],
    ),
    ("description-too-short", Sweep, &["review.tool.description"]),
    (
        "instructions-restate-schema",
        Scenario("tool-choice/review", "chatgpt"),
        &["review.instructions.guidance"],
    ),
    (
        "instructions-restate-schema",
        Sweep,
        &["review.instructions.guidance"],
    ),
    (
        "ui-skybridge-only",
        Scenario("ui/product-card", "claude-desktop"),
        &["host.ui.path-supported"],
    ),
    (
        "ui-content-empty",
        Scenario("ui/product-card", "chatgpt"),
        &["tools.call.content-with-ui"],
    ),
    (
        "ui-resource-missing",
        Scenario("ui/product-card", "claude-desktop"),
        &["ui.resource.resolves"],
    ),
    (
        "ui-wrong-mime-type",
        Scenario("ui/product-card", "chatgpt"),
        &["ui.resource.mime-type"],
    ),
    (
        "absent-hints-defaulted",
        Scenario("annotations/no-annotations", "chatgpt"),
        &["host.call.confirmation"],
    ),
    (
        "annotation-edits-need-publish",
        Scenario("annotations/contradictory", "chatgpt"),
        &["tools.annotations.consistent", "host.call.confirmation"],
    ),
    (
        "annotation-edits-need-publish",
        Scenario("annotations/live-edit", "chatgpt"),
        &["host.call.confirmation"],
    ),
    // A list cached per session shows only where there are sessions: the 2025 era's runs.
    (
        "tools-list-cached-per-session",
        Scenario("annotations/live-edit@legacy", "claude-desktop"),
        &["host.call.confirmation"],
    ),
    (
        "tools-list-cached-per-session",
        Scenario("environments/draft-only-tool@legacy", "chatgpt"),
        &["host.tools.listed"],
    ),
    (
        "poll-interval-missing",
        Scenario("tasks/required-polled", "claude-desktop"),
        &["host.call.task"],
    ),
    (
        "related-task-meta-missing",
        Scenario("tasks/required-polled", "chatgpt"),
        &["host.call.task"],
    ),
    (
        "optional-task-not-created",
        Scenario("tasks/optional@legacy", "chatgpt"),
        &["host.call.task"],
    ),
    // In 2026-07-28 the host polls the task to its end and shows the result tasks/get carries:
    // without it inline, the host has nothing to show.
    (
        "modern-task-result-not-inline",
        Scenario("tasks/optional", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "forbidden-task-accepted",
        Scenario("tasks/wrong-mode", "chatgpt"),
        &["host.call.outcome"],
    ),
    (
        "task-support-ignored",
        Scenario("tasks/wrong-mode", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "failed-task-reported-completed",
        Scenario("tasks/failing", "chatgpt"),
        &["host.call.task"],
    ),
    (
        "cancel-ignored",
        Scenario("tasks/cancel", "chatgpt"),
        &["host.call.task"],
    ),
    (
        "cancel-ignored",
        Scenario("tasks/host-gives-up", "chatgpt"),
        &["host.call.task"],
    ),
    (
        "cancel-terminal-accepted",
        Scenario("tasks/cancel", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "tasks-not-bound",
        Scenario("tasks/other-user", "chatgpt"),
        &["host.call.outcome"],
    ),
    (
        "task-ttl-ignored",
        Scenario("tasks/ttl-expired", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "instructions-frozen-at-publish",
        Scenario("instructions/live-edit", "chatgpt"),
        &["host.connector.instructions"],
    ),
    (
        "draft-scope-not-granted",
        Scenario("environments/both-enabled", "chatgpt"),
        &["host.call.outcome"],
    ),
    (
        "scope-not-enforced",
        Scenario("environments/mcp-user-no-draft", "claude-desktop"),
        &["host.connector.state"],
    ),
    (
        "environment-not-checked",
        Scenario("environments/tokens-isolated", "chatgpt"),
        &["host.call.outcome"],
    ),
    (
        "audience-not-checked",
        Scenario("isolation/foreign-token", "claude-desktop"),
        &["host.call.outcome"],
    ),
    (
        "draft-tool-leaks",
        Scenario("connect/no-published-tools", "chatgpt"),
        &["host.connector.state"],
    ),
    (
        "revocation-revokes-all-grants",
        Scenario("sharing/second-member", "chatgpt"),
        &["host.call.outcome"],
    ),
    (
        "login-session-not-kept",
        Scenario("sharing/remove-and-readd", "claude-desktop"),
        &["host.connector.login-session"],
    ),
    (
        "refresh-not-rotated",
        Scenario("sharing/silent-refresh", "claude-desktop"),
        &["auth.as.refresh-rotated"],
    ),
    (
        "api-key-revocation-ignored",
        Scenario("custom-hosts/api-key", "generic"),
        &["host.call.outcome"],
    ),
    (
        "api-key-project-not-checked",
        Scenario("isolation/foreign-api-key", "generic"),
        &["host.connector.state"],
    ),
    (
        PROVOKED,
        Scenario("environments/both-enabled", "claude-desktop"),
        &["review.connectors.distinct-names"],
    ),
    // Message framing, lifecycle, capabilities and authorization gaps the clause table revealed
    ("response-id-wrong", Sweep, &["jsonrpc.response.id-echoed"]),
    (
        "unknown-method-not-error",
        Sweep,
        &["jsonrpc.method.unknown"],
    ),
    (
        "response-content-type-wrong",
        Sweep,
        &["transport.response.content-type"],
    ),
    ("get-not-supported", Sweep, &["transport.get.sse-or-405"]),
    (
        "session-id-not-ascii",
        Sweep,
        &["transport.session.id-visible-ascii"],
    ),
    (
        "server-info-missing",
        Sweep,
        &["lifecycle.initialize.result-shape"],
    ),
    (
        "tools-capability-missing",
        Sweep,
        &["tools.capability.declared"],
    ),
    (
        "tasks-capability-missing",
        Sweep,
        &["tasks.capability.declared"],
    ),
    ("huge-response", Sweep, &["transport.response.within-limit"]),
    ("tool-name-invalid", Sweep, &["tools.list.name-format"]),
    ("schema-invalid", Sweep, &["tools.list.schemas-valid"]),
    ("unknown-task-not-error", Sweep, &["tasks.get.unknown-id"]),
    (
        "session-authenticates",
        Sweep,
        &["auth.session.not-authentication"],
    ),
    (
        "token-in-query-accepted",
        Sweep,
        &["auth.token.query-ignored"],
    ),
    (
        "prm-no-authorization-servers",
        Sweep,
        &["auth.prm.authorization-servers"],
    ),
    (
        "issuer-mismatch",
        Sweep,
        &["auth.as.metadata-issuer-matches"],
    ),
    // UI rendering
    (
        "ui-script-error",
        Scenario("ui/product-card-renders", "chatgpt"),
        &["host.ui.renders"],
    ),
    (
        "ui-wrong-mime-type",
        Scenario("ui/product-card-renders", "claude-desktop"),
        &["host.ui.renders"],
    ),
    (
        "ui-csp-blocks-own-asset",
        Scenario("ui/product-card-renders", "claude-desktop"),
        &["host.ui.csp-respected"],
    ),
    (
        "ui-handshake-silent",
        Scenario("ui/product-card-renders", "chatgpt"),
        &["host.ui.handshake"],
    ),
];

/// Scenarios bound to projects of the default fixture (they name `acme/...`): the second world and a
/// deployment have none of them, so their rows run on the default world only.
const DEFAULT_WORLD_ONLY: &[&str] = &[
    "connect/discovered-in-2026",
    "connect/legacy-only-falls-back",
];

/// fault, scenario, why: rows a deployment run cannot show (see `not_observable_as_deployment`).
const NOT_OBSERVABLE_AS_DEPLOYMENT: &[(&str, &str, &str)] = &[
    ("membership-checked-only-at-consent", "roles/role-reduced", "changing a member's role needs the admin API"),
    ("membership-checked-only-at-consent", "roles/member-removed", "removing a member needs the admin API"),
    ("expired-tokens-accepted", "sharing/silent-refresh", "a deployment's tokens run out on the host's side: the server is never shown an expired one"),
    ("expired-tokens-accepted", "grants/session-expired", "on a deployment the session's end is the host revoking its own grant, not expiry"),
    ("annotation-edits-need-publish", "annotations/contradictory", "editing a tool needs the admin API"),
    ("annotation-edits-need-publish", "annotations/live-edit", "editing a tool needs the admin API"),
    ("absent-hints-defaulted", "annotations/no-annotations", "removing a tool's annotations needs the admin API"),
    ("tools-list-cached-per-session", "annotations/live-edit@legacy", "editing a tool needs the admin API"),
    ("tools-list-cached-per-session", "environments/draft-only-tool@legacy", "publishing needs the admin API"),
    ("failed-task-reported-completed", "tasks/failing", "making a tool fail needs the admin API"),
    ("cancel-ignored", "tasks/host-gives-up", "making a tool slow needs the admin API"),
    ("cancel-ignored", "tasks/cancel", "making a tool slow needs the admin API"),
    ("cancel-terminal-accepted", "tasks/cancel", "the scenario first makes a tool slow, which needs the admin API"),
    ("task-ttl-ignored", "tasks/ttl-expired", "ageing tasks past their ttl needs the admin API"),
    ("instructions-frozen-at-publish", "instructions/live-edit", "editing the instructions needs the admin API"),
    ("revocation-revokes-all-grants", "sharing/second-member", "the fault is in Authorized apps; a deployment's host revokes its own grant through RFC 7009"),
];

/// One row of the table in one mode: what went wrong (nothing, when every named check failed).
fn row(mode: Mode, fault: &str, probe: Probe, ids: &[&str]) -> Result<Vec<String>, String> {
    let faults: Vec<Fault> = if fault == PROVOKED {
        Vec::new()
    } else {
        vec![fault.parse().map_err(|e| format!("{e}"))?]
    };
    let report = match probe {
        // Every host, for the sweep's per-host consequences (`sweep/hosts`).
        Sweep => support::run_in(mode, Vec::new(), &support::HOSTS, true, &faults),
        Scenario(id, host) => {
            let scenario = support::scenarios()
                .into_iter()
                .find(|s| s.id == id)
                .ok_or(format!("no scenario {id}"))?;
            support::run_in(mode, vec![scenario], &[host], false, &faults)
        }
    };
    let mut problems = Vec::new();
    for id in ids {
        let seen: Vec<_> = report
            .results
            .iter()
            .flat_map(|r| &r.checks)
            .filter(|c| c.id == *id)
            .collect();
        // A fault's finding is a broken rule at the clause's level (fail, warn or info), never
        // "not testable"; a provoked one is the scenario's expected finding.
        let failed = seen.iter().any(|c| {
            matches!(c.status, Status::Fail | Status::Warn | Status::Info)
                && c.expected_failure == (fault == PROVOKED && matches!(probe, Scenario(..)))
        });
        // What a user reads must point at the rule: the scenario's troubleshooting row, or
        // its source when it has none.
        for (result, check) in report.results.iter().flat_map(|r| {
            r.checks
                .iter()
                .filter(|c| {
                    c.id == *id && matches!(c.status, Status::Fail | Status::Warn | Status::Info)
                })
                .map(move |c| (r, c))
        }) {
            if let Scenario(..) = probe {
                let named = result
                    .source
                    .troubleshooting
                    .as_deref()
                    .unwrap_or(&result.source.reference);
                let described = describe_check(result, check);
                if !described.contains(named) {
                    problems.push(format!(
                        "{id}'s finding does not name the rule {named:?}:\n{described}"
                    ));
                }
            }
        }
        if !failed {
            problems.push(format!(
                "{id} did not fail with {fault} (saw {})",
                if seen.is_empty() {
                    "no verdict".to_owned()
                } else {
                    seen.iter()
                        .map(|c| format!("{}: {}", c.status.as_str(), c.message))
                        .collect::<Vec<_>>()
                        .join("; ")
                }
            ));
        }
    }
    Ok(problems)
}

/// Rows a deployment run cannot show, and why: the scenario's step needs the admin API (the run
/// stops before the fault could show), or what stands in for it on a deployment (the host revoking
/// its own grant, its own token running out) does not exercise the faulty server path.
fn not_observable_as_deployment(fault: &str, probe: Probe) -> Option<&'static str> {
    let scenario = match probe {
        Sweep => return None,
        Scenario(id, _) => id,
    };
    NOT_OBSERVABLE_AS_DEPLOYMENT
        .iter()
        .find(|(f, s, _)| *f == fault && *s == scenario)
        .map(|(_, _, why)| *why)
}

fn main() {
    let mut args = Arguments::from_args();
    // Trials mostly wait (popups, task polling): more of them at once than cores keeps this short.
    args.test_threads = args.test_threads.or(Some(4));
    let mut trials = vec![
        Trial::test("table::every_fault_makes_some_check_fail", || {
            let covered: BTreeSet<&str> = TABLE.iter().map(|(f, _, _)| *f).collect();
            let missing: Vec<&str> = Fault::ALL
                .iter()
                .map(|f| f.name())
                .filter(|f| !covered.contains(f))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("faults without a self-test: {missing:?}").into())
            }
        }),
        Trial::test("table::every_check_has_a_fault_that_fails_it", || {
            let covered: BTreeSet<&str> = TABLE
                .iter()
                .flat_map(|(_, _, ids)| ids.iter().copied())
                .collect();
            let missing: Vec<&str> = catalogue::all()
                .map(|c| c.id)
                .filter(|id| !covered.contains(id))
                .collect();
            let unknown: Vec<&str> = covered
                .iter()
                .copied()
                .filter(|id| catalogue::get(id).is_none())
                .collect();
            if missing.is_empty() && unknown.is_empty() {
                Ok(())
            } else {
                Err(format!("checks without a self-test: {missing:?}; ids not in the catalogue: {unknown:?}").into())
            }
        }),
        Trial::test("table::every_scenario_has_a_fault_that_fails_it", || {
            let covered: BTreeSet<&str> = TABLE
                .iter()
                .filter_map(|(_, probe, _)| match probe {
                    Scenario(id, _) => Some(*id),
                    Sweep => None,
                })
                .collect();
            let missing: Vec<String> = support::scenarios()
                .into_iter()
                .map(|s| s.id)
                .filter(|id| !covered.contains(id.as_str()))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("scenarios without a self-test: {missing:?}").into())
            }
        }),
    ];
    for &(fault, probe, ids) in TABLE {
        let name = match probe {
            Sweep => format!("{fault}::sweep"),
            Scenario(id, host) => format!("{fault}::{id}::{host}"),
        };
        for (prefix, mode) in [
            ("", Mode::Embedded(World::Default)),
            ("second-world::", Mode::Embedded(World::Second)),
            ("deployment::", Mode::SecondWorldRemote),
        ] {
            if matches!(probe, Scenario(id, _) if DEFAULT_WORLD_ONLY.contains(&id))
                && mode != Mode::Embedded(World::Default)
            {
                continue;
            }
            let unobservable = (mode == Mode::SecondWorldRemote)
                .then(|| not_observable_as_deployment(fault, probe))
                .flatten();
            trials.push(Trial::test(format!("{prefix}{name}"), move || {
                let problems = row(mode, fault, probe, ids)?;
                match (unobservable, problems.is_empty()) {
                    (None, true) => Ok(()),
                    (None, false) => Err(problems.join("\n").into()),
                    (Some(_), false) => Ok(()),
                    (Some(why), true) => Err(format!(
                        "listed as not observable on a deployment ({why}), but the deployment run fails {ids:?}: remove it from NOT_OBSERVABLE_AS_DEPLOYMENT"
                    )
                    .into()),
                }
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
