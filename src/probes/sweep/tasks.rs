//! Tasks, on the first callable tool that requires one: a plain call, a task polled to its end
//! (`crate::mcp_ops`), its result and a cancel once it ended, `tasks/result` of a fresh task right
//! away, and `tasks/get` of the first task by another credential.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::{Credential, Sweep};
use crate::evidence::sweep::Tasks;
use crate::evidence::{Gap, Observed, RpcExchange};
use crate::mcp_ops::{self, PollEnd, PollPolicy};

/// How long a task may take before the sweep stops polling it.
const TASK_DEADLINE: Duration = Duration::from_secs(15);
/// The pace while the server names no pollInterval.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

pub(super) async fn probe(
    sweep: &Sweep<'_>,
    credential: &Credential,
    tools: Option<&[Value]>,
    ev: &mut Tasks,
) {
    let Some(tools) = tools else {
        ev.tool = Observed::not_testable("tools/list failed");
        return;
    };
    let candidate = tools
        .iter()
        .filter(|t| sweep.instance.may_call(t))
        .filter(|t| t["execution"]["taskSupport"] == "required")
        .find_map(|t| sweep.instance.arguments(t).map(|a| (t.clone(), a)));
    let Some((tool, arguments)) = candidate else {
        ev.tool = Observed::not_applicable(format!(
            "no tool the run may call ({}) requires a task",
            sweep.instance.describe_calls()
        ));
        return;
    };
    let name = tool["name"].as_str().unwrap_or_default().to_owned();
    ev.tool = Observed::Seen(name.clone());
    let (mut client, _) = match sweep.initialized(credential.bearer.as_deref()).await {
        Ok((client, _)) if client.era == crate::wire::Era::Modern => {
            let gap = Gap::NotApplicable(super::ONLY_MODERN.into());
            ev.without_task = Observed::Missing(gap.clone());
            fill_gap(ev, gap);
            return;
        }
        Ok(x) => x,
        Err(why) => {
            ev.without_task = Observed::not_testable(format!("initialize failed: {why}"));
            fill(ev, &format!("initialize failed: {why}"));
            return;
        }
    };
    let call = json!({"name": name, "arguments": arguments});
    ev.without_task = sweep.rpc(&mut client, "tools/call", call.clone()).await;
    let mut with_task = call;
    with_task["task"] = json!({"ttl": 60000});
    ev.created = sweep
        .rpc(&mut client, "tools/call", with_task.clone())
        .await;
    let task = ev
        .created
        .seen()
        .and_then(RpcExchange::result)
        .map(|r| r["task"].clone())
        .filter(|t| t["taskId"].is_string());
    let Some(task) = task else {
        let why = match ev.created.seen() {
            Some(x) => format!("tools/call with a task gave no task: {}", x.describe()),
            None => "tools/call with a task got no answer".to_owned(),
        };
        fill(ev, &why);
        return;
    };
    let task_id = task["taskId"].as_str().unwrap_or_default().to_owned();
    let policy = PollPolicy {
        deadline: TASK_DEADLINE,
        started: Instant::now(),
        default_interval: POLL_INTERVAL,
    };
    let poll = mcp_ops::poll_task(&mut client, &task, policy).await;
    let terminal = matches!(&poll.end, PollEnd::Stopped(s) if s.is_terminal());
    ev.poll = Observed::Seen(poll);
    if terminal {
        ev.result = sweep
            .rpc(&mut client, "tasks/result", json!({"taskId": task_id}))
            .await;
        ev.cancel_terminal = sweep
            .rpc(&mut client, "tasks/cancel", json!({"taskId": task_id}))
            .await;
        // Task B: tasks/result right away must wait for the end.
        ev.early_result = match sweep.rpc(&mut client, "tools/call", with_task).await {
            Observed::Seen(created) => {
                match created.result().and_then(|r| r["task"]["taskId"].as_str()) {
                    None => Observed::not_testable(format!(
                        "a second task was not created: {}",
                        created.describe()
                    )),
                    Some(b) => {
                        let b = b.to_owned();
                        let result = sweep
                            .rpc(&mut client, "tasks/result", json!({"taskId": b}))
                            .await;
                        let after = sweep
                            .rpc(&mut client, "tasks/get", json!({"taskId": b}))
                            .await;
                        match (result, after) {
                            (Observed::Seen(r), Observed::Seen(a)) => Observed::Seen((r, a)),
                            (Observed::Missing(g), _) | (_, Observed::Missing(g)) => {
                                Observed::Missing(g)
                            }
                        }
                    }
                }
            }
            Observed::Missing(g) => Observed::Missing(g),
        };
    } else {
        let why = "the task never reached a terminal status";
        ev.result = Observed::not_testable(why);
        ev.cancel_terminal = Observed::not_testable(why);
        ev.early_result = Observed::not_testable(why);
    }
    ev.unknown_task = sweep
        .rpc(
            &mut client,
            "tasks/get",
            json!({"taskId": "metabind-conformance-no-such-task"}),
        )
        .await;
    ev.other_credential = match &credential.second {
        None => {
            Observed::skipped("needs a second credential (--second-user, or --token beside --user)")
        }
        Some(other) => match sweep.initialized(Some(other)).await {
            Err(why) => {
                Observed::not_testable(format!("the second credential cannot initialize: {why}"))
            }
            Ok((mut intruder, _)) => {
                sweep
                    .rpc(&mut intruder, "tasks/get", json!({"taskId": task_id}))
                    .await
            }
        },
    };
}

/// Every record after the first call, as not testable for `why`.
fn fill(ev: &mut Tasks, why: &str) {
    fill_gap(ev, Gap::NotTestable(why.into()));
}

/// Every later probe's evidence missing for the same reason.
fn fill_gap(ev: &mut Tasks, gap: Gap) {
    ev.unknown_task = Observed::Missing(gap.clone());
    ev.created = Observed::Missing(gap.clone());
    ev.poll = Observed::Missing(gap.clone());
    ev.result = Observed::Missing(gap.clone());
    ev.cancel_terminal = Observed::Missing(gap.clone());
    ev.early_result = Observed::Missing(gap.clone());
    ev.other_credential = Observed::Missing(gap);
}
