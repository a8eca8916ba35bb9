//! Transport and session probes with the sweep's credential: initialize and its notification, then
//! requests altered on purpose (no session id, no version header, another credential, an unsupported version header, a
//! foreign Origin, a body that is not JSON, a batch), and DELETE of the session.

use serde_json::json;

use super::{Credential, Sweep};
use crate::evidence::sweep::Transport;
use crate::evidence::{Gap, Observed};
use crate::wire::{Era, Request};

/// An `initialize` request body.
fn init_body() -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": crate::wire::LATEST_PROTOCOL_VERSION, "capabilities": {}, "clientInfo": super::client_info()}})
}

pub(super) async fn probe(sweep: &Sweep<'_>, credential: &Credential, ev: &mut Transport) {
    let bearer = credential.bearer.as_deref();
    let (client, initialize) = match sweep.initialized(bearer).await {
        Ok((client, initialize)) if client.era != Era::Modern => (client, initialize),
        opened => {
            let (gap, modern_client) = match opened {
                Ok((client, _)) => (Gap::NotApplicable(super::ONLY_MODERN.into()), Some(client)),
                Err(why) => (Gap::NotTestable(format!("initialize failed: {why}")), None),
            };
            ev.initialize = Observed::Missing(gap.clone());
            ev.unknown_method = Observed::Missing(gap.clone());
            for slot in [
                &mut ev.get_stream,
                &mut ev.session_without_credential,
                &mut ev.token_in_query,
                &mut ev.initialized,
                &mut ev.without_session,
                &mut ev.without_version_header,
                &mut ev.other_credential,
                &mut ev.unsupported_version,
                &mut ev.foreign_origin,
                &mut ev.malformed_json,
                &mut ev.batch,
                &mut ev.delete,
                &mut ev.after_delete,
            ] {
                *slot = Observed::Missing(gap.clone());
            }
            // What holds in every era is still probed on an endpoint of 2026-07-28 only: Origin,
            // bodies that are not JSON, batches, and GET (405 there).
            if let Some(client) = modern_client {
                let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list",
                    "params": crate::wire::modern::with_meta(json!({}), &super::client_info(), &json!({}))});
                neutral_probes(sweep, &client, &list, ev).await;
            }
            return;
        }
    };
    ev.initialize = Observed::Seen(initialize);
    ev.session_id = client.session_id.clone();
    // notifications/initialized was the last exchange initialize() made.
    ev.initialized = match sweep
        .wire
        .transcript
        .snapshot()
        .into_iter()
        .rev()
        .find(|x| x.request_body.contains("notifications/initialized"))
    {
        Some(x) => Observed::Seen(x),
        None => Observed::not_testable("notifications/initialized was not sent"),
    };
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}});
    let without = |request: Request, header: &str| {
        let mut request = request;
        request.headers.retain(|(k, _)| k != header);
        request
    };
    ev.without_session = sweep
        .raw(without(client.request(&list), "mcp-session-id"))
        .await;
    ev.without_version_header = sweep
        .raw(without(client.request(&list), "mcp-protocol-version"))
        .await;
    ev.other_credential = match &credential.second {
        None => {
            Observed::skipped("needs a second credential (--second-user, or --token beside --user)")
        }
        Some(other) => {
            sweep
                .raw(
                    without(client.request(&list), "authorization")
                        .header("authorization", format!("Bearer {other}")),
                )
                .await
        }
    };
    ev.unsupported_version = sweep
        .raw(
            without(client.request(&list), "mcp-protocol-version")
                .header("mcp-protocol-version", "1999-01-01"),
        )
        .await;

    ev.unknown_method = sweep
        .rpc(
            &mut client.clone(),
            "metabind-conformance/no-such-method",
            json!({}),
        )
        .await;

    match bearer {
        None => {
            let why = "the run has no credential for the endpoint";
            ev.session_without_credential = Observed::not_applicable(why);
            ev.token_in_query = Observed::not_applicable(why);
        }
        Some(token) => {
            ev.session_without_credential = match &client.session_id {
                None => Observed::not_applicable("the server issues no session id"),
                Some(_) => {
                    sweep
                        .raw(without(client.request(&list), "authorization"))
                        .await
                }
            };
            let mut in_query = without(sweep.mcp(None).request(&init_body()), "authorization");
            let separator = if in_query.url.contains('?') { '&' } else { '?' };
            in_query.url = format!("{}{separator}access_token={token}", in_query.url);
            ev.token_in_query = sweep.raw(in_query).await;
        }
    }
    neutral_probes(sweep, &client, &list, ev).await;
    match &client.session_id {
        None => {
            ev.delete = Observed::not_applicable("the server issues no session id");
            ev.after_delete = Observed::not_applicable("the server issues no session id");
        }
        Some(session) => {
            let mut delete = Request {
                method: reqwest::Method::DELETE,
                url: sweep.url().to_owned(),
                headers: vec![("mcp-session-id".into(), session.clone())],
                body: None,
            };
            if let Some(b) = bearer {
                delete = delete.header("authorization", format!("Bearer {b}"));
            }
            ev.delete = sweep.raw(delete).await;
            ev.after_delete = match ev.delete.seen() {
                Some(x) if x.status == 405 => Observed::not_applicable("DELETE answered 405"),
                Some(_) => sweep.raw(client.request(&list)).await,
                None => Observed::not_testable("DELETE got no answer"),
            };
        }
    }
}

/// The rules of every era, on `client`'s own requests: a foreign `Origin`, a body that is not JSON, a
/// batch, and GET on the endpoint (only the status and headers are read: the stream closes as the
/// response is dropped).
async fn neutral_probes(
    sweep: &Sweep<'_>,
    client: &crate::wire::McpClient,
    list: &serde_json::Value,
    ev: &mut Transport,
) {
    ev.foreign_origin = sweep
        .raw(
            client
                .request(list)
                .header("origin", "http://rebinding.attacker.example"),
        )
        .await;
    ev.get_stream = sweep
        .wire
        .open_stream(client.stream_request())
        .await
        .map(|(received, _)| received.exchange)
        .into();
    let mut malformed = client.request(list);
    malformed.body = Some(b"{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": ".to_vec());
    ev.malformed_json = sweep.raw(malformed).await;
    let mut batch = client.request(list);
    batch.body = Some(
        json!([list, {"jsonrpc": "2.0", "id": 4, "method": "ping"}])
            .to_string()
            .into_bytes(),
    );
    ev.batch = sweep.raw(batch).await;
}
