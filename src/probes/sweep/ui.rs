//! UI resources: `resources/read` of every UI any listed tool points at, on either path.

use serde_json::{json, Value};

use super::{Credential, Sweep};
use crate::evidence::sweep::{Ui, UiRead};
use crate::evidence::Observed;
use crate::ui::ui_links;

pub(super) async fn probe(
    sweep: &Sweep<'_>,
    credential: &Credential,
    tools: Option<&[Value]>,
    ev: &mut Ui,
) {
    let Some(tools) = tools else {
        ev.reads = Observed::not_testable("tools/list failed");
        return;
    };
    let wanted: Vec<(String, crate::ui::UiLink)> = tools
        .iter()
        .flat_map(|t| {
            let name = t["name"].as_str().unwrap_or_default().to_owned();
            ui_links(t).into_iter().map(move |l| (name.clone(), l))
        })
        .collect();
    if wanted.is_empty() {
        ev.reads = Observed::Seen(Vec::new());
        return;
    }
    let (mut client, _) = match sweep.initialized(credential.bearer.as_deref()).await {
        Ok(x) => x,
        Err(why) => {
            ev.reads = Observed::not_testable(format!("initialize failed: {why}"));
            return;
        }
    };
    let mut reads = Vec::new();
    for (tool, link) in wanted {
        let reply = sweep
            .rpc(&mut client, "resources/read", json!({"uri": link.uri}))
            .await;
        reads.push(UiRead { tool, link, reply });
    }
    ev.reads = Observed::Seen(reads);
    let _ = client.close().await;
}
