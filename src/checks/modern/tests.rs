//! The stateless section's checks on hand-built evidence.

use super::*;
use crate::checks::testing::reply;
use crate::checks::Status;
use crate::evidence::sweep::ModernTask;
use crate::evidence::Observed;
use serde_json::json;

fn modern_server() -> SweepEvidence {
    let mut ev = SweepEvidence::default();
    ev.modern.discover = Observed::Seen(reply(
        200,
        json!({"jsonrpc": "2.0", "id": 1, "result": {
        "resultType": "complete", "supportedVersions": ["2026-07-28"], "capabilities": {"extensions": {"io.modelcontextprotocol/tasks": {}}},
        "ttlMs": 0, "cacheScope": "private", "instructions": "Use search."}}),
    ));
    ev.modern.tools_pages = Observed::Seen(vec![
        reply(
            200,
            json!({"jsonrpc": "2.0", "id": 2, "result": {"resultType": "complete", "tools": [{"name": "a"}], "nextCursor": "x", "ttlMs": 0, "cacheScope": "private"}}),
        ),
        reply(
            200,
            json!({"jsonrpc": "2.0", "id": 3, "result": {"resultType": "complete", "tools": [{"name": "b"}], "ttlMs": 0, "cacheScope": "private"}}),
        ),
    ]);
    ev
}

#[test]
fn a_2025_server_makes_the_section_not_applicable() {
    let mut ev = SweepEvidence::default();
    ev.modern.discover = Observed::Seen(reply(
        400,
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32000, "message": "Bad Request: unsupported MCP-Protocol-Version"}}),
    ));
    ev.modern.tools_pages = Observed::Seen(vec![reply(
        400,
        json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32000, "message": "x"}}),
    )]);
    for def in [&DISCOVER, &RESULT_TYPE, &META_REQUIRED, &TASK_LIFECYCLE] {
        let Judge::Sweep(_, judge) = def.judge else {
            unreachable!()
        };
        let checks = judge(&ev);
        assert_eq!(checks[0].status, Status::NotApplicable, "{}", def.id);
        assert!(
            checks[0].message.contains("2026-07-28"),
            "{}",
            checks[0].message
        );
    }
}

#[test]
fn discover_result_type_and_cache_hints_pass_on_a_good_server_and_fail_without_them() {
    let mut ev = modern_server();
    assert_eq!(discover_answers(&ev)[0].status, Status::Pass);
    assert_eq!(result_type_present(&ev)[0].status, Status::Pass);
    assert_eq!(cache_hints(&ev)[0].status, Status::Pass);
    assert_eq!(cache_scope_consistent(&ev)[0].status, Status::Pass);
    let Observed::Seen(pages) = &mut ev.modern.tools_pages else {
        unreachable!()
    };
    pages[1] = reply(
        200,
        json!({"jsonrpc": "2.0", "id": 3, "result": {"tools": [], "cacheScope": "public"}}),
    );
    assert_eq!(result_type_present(&ev)[0].status, Status::Fail);
    assert_eq!(cache_hints(&ev)[0].status, Status::Fail);
    assert_eq!(cache_scope_consistent(&ev)[0].status, Status::Fail);
    ev.modern.discover = Observed::Seen(reply(
        404,
        json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "no"}}),
    ));
    assert_eq!(
        discover_answers(&ev)[0].status,
        Status::Fail,
        "the listing proves the era: discover is owed"
    );
}

#[test]
fn refusals_need_their_status_and_code() {
    let mut ev = modern_server();
    ev.modern.without_meta = Observed::Seen(reply(
        400,
        json!({"jsonrpc": "2.0", "id": 90, "error": {"code": -32602, "message": "m"}}),
    ));
    ev.modern.header_mismatch = Observed::Seen(reply(
        200,
        json!({"jsonrpc": "2.0", "id": 90, "result": {"tools": []}}),
    ));
    ev.modern.unknown_method = Observed::Seen(reply(
        200,
        json!({"jsonrpc": "2.0", "id": 4, "error": {"code": -32601, "message": "m"}}),
    ));
    ev.modern.unsupported_version = Observed::Seen(reply(
        400,
        json!({"jsonrpc": "2.0", "id": 90, "error": {"code": -32022, "message": "m", "data": {"supported": ["2026-07-28"], "requested": "2099-01-01"}}}),
    ));
    assert_eq!(meta_required(&ev)[0].status, Status::Pass);
    assert_eq!(header_mismatch_refused(&ev)[0].status, Status::Fail);
    assert_eq!(unknown_method_404(&ev)[0].status, Status::Fail);
    assert_eq!(version_refused(&ev)[0].status, Status::Pass);
    ev.modern.unsupported_version = Observed::Seen(reply(
        400,
        json!({"jsonrpc": "2.0", "id": 90, "error": {"code": -32022, "message": "m"}}),
    ));
    assert_eq!(
        version_refused(&ev)[0].status,
        Status::Fail,
        "data.supported is owed"
    );
    ev.modern.without_meta = Observed::Seen(reply(500, json!({})));
    assert_eq!(
        meta_required(&ev)[0].status,
        Status::NotTestable,
        "a 5xx is never a verdict"
    );
}

#[test]
fn retired_codes_and_minted_sessions_are_caught() {
    let mut ev = modern_server();
    ev.modern.missing_resource = Observed::Seen(reply(
        200,
        json!({"jsonrpc": "2.0", "id": 5, "error": {"code": -32002, "message": "not found"}}),
    ));
    assert!(error_codes(&ev).iter().all(|c| c.status == Status::Fail));
    ev.modern.missing_resource = Observed::Seen(reply(
        200,
        json!({"jsonrpc": "2.0", "id": 5, "error": {"code": -32602, "message": "not found"}}),
    ));
    assert!(error_codes(&ev).iter().all(|c| c.status == Status::Pass));
    assert_eq!(no_session(&ev)[0].status, Status::Pass);
    let Observed::Seen(d) = &mut ev.modern.discover else {
        unreachable!()
    };
    d.exchange
        .response_headers
        .push(("mcp-session-id".into(), "s1".into()));
    assert_eq!(no_session(&ev)[0].status, Status::Warn);
    assert!(forbidden_code(-32050) && !forbidden_code(-32021) && !forbidden_code(-32000));
}

#[test]
fn tasks_need_the_declaration_and_end_with_the_result_inline() {
    let mut ev = modern_server();
    ev.modern.optional_without_extension = Observed::Seen(reply(
        200,
        json!({"jsonrpc": "2.0", "id": 6, "result": {"resultType": "task", "taskId": "t"}}),
    ));
    assert_eq!(task_undeclared(&ev)[0].status, Status::Fail);
    ev.modern.required_without_extension = Observed::Seen(reply(
        400,
        json!({"jsonrpc": "2.0", "id": 6, "error": {"code": -32021, "message": "m", "data": {"requiredCapabilities": {"extensions": {}}}}}),
    ));
    assert_eq!(missing_capability_refused(&ev)[0].status, Status::Pass);
    let created = reply(
        200,
        json!({"jsonrpc": "2.0", "id": 7, "result": {"resultType": "task", "taskId": "t", "status": "working", "createdAt": "2026-12-08T00:00:00Z", "ttlMs": 60000}}),
    );
    let done = |inline: bool| {
        let mut r = json!({"resultType": "complete", "taskId": "t", "status": "completed"});
        if inline {
            r["result"] = json!({"content": []});
        }
        reply(200, json!({"jsonrpc": "2.0", "id": 8, "result": r}))
    };
    ev.modern.task = Observed::Seen(ModernTask {
        tool: "report".into(),
        created: created.clone(),
        polls: vec![done(true)],
    });
    assert_eq!(task_lifecycle(&ev)[0].status, Status::Pass);
    ev.modern.task = Observed::Seen(ModernTask {
        tool: "report".into(),
        created,
        polls: vec![done(false)],
    });
    assert_eq!(task_lifecycle(&ev)[0].status, Status::Fail);
}
