//! The protocol sweep's probes: protocol rules any MCP server must keep, probed on the raw wire against
//! the target's endpoint, whatever host is used. Each section's probe drives the target and records
//! what it saw in [`SweepEvidence`]; the checks (`crate::checks`) judge it. Probes that can end grants
//! (refresh reuse, revocation) run last. Only tools the call policy allows are ever called.

mod authorization_server;
mod discovery;
mod modern;
mod tasks;
mod tools;
mod transport;
mod ui;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};

use crate::checks::Section;
use crate::evidence::{Observed, RpcExchange, SweepEvidence};
use crate::popup::Popup;
use crate::stop::Stop;
use crate::target::Instance;
use crate::wire::{Exchange, McpClient, Net, Request, Wire, MODERN_PROTOCOL_VERSION};

/// What the sweep cost.
#[derive(Debug, Clone, Default)]
pub struct SweepCost {
    pub exchanges: usize,
    pub exchange_ms: u64,
    /// Each popup's time, in milliseconds.
    pub popup_durations_ms: Vec<u64>,
    /// Wall time of each section's probes (sections judged on others' evidence have none).
    pub section_ms: BTreeMap<Section, u64>,
}

/// A credential the MCP sections use.
#[derive(Debug, Clone, Default)]
pub(crate) struct Credential {
    pub bearer: Option<String>,
    /// A second, different credential (another user or an API key), for binding checks.
    pub second: Option<String>,
}

pub(crate) struct Sweep<'a> {
    pub instance: &'a Instance,
    pub popup: &'a Popup,
    pub wire: Wire,
    /// Each popup's time, in milliseconds.
    pub popup_durations_ms: Vec<u64>,
}

fn client_info() -> Value {
    json!({"name": "metabind-conformance-sweep", "version": env!("CARGO_PKG_VERSION")})
}

/// Drives the sections `chosen` needs (and what they depend on) and records their evidence.
pub async fn run(
    instance: &Instance,
    popup: &Popup,
    net: &Arc<Net>,
    chosen: &BTreeSet<Section>,
    stop: &Stop,
) -> Result<(SweepEvidence, SweepCost), crate::wire::Error> {
    let wants = |sections: &[Section]| sections.iter().any(|s| chosen.contains(s));
    let mut sweep = Sweep {
        instance,
        popup,
        wire: Wire::new(net)?,
        popup_durations_ms: Vec::new(),
    };
    let mut ev = SweepEvidence {
        endpoint: instance.endpoint_url().to_owned(),
        ..Default::default()
    };
    let mut section_ms = BTreeMap::new();
    let mut clock = Instant::now();
    let mut lap = |section: Section| {
        *section_ms.entry(section).or_insert(0) += clock.elapsed().as_millis() as u64;
        clock = Instant::now();
    };
    // Each section runs unless the run is asked to stop; a stopped sweep keeps what it recorded.
    let probed: Result<(), String> = async {
        let discovery = stop
            .unless_stopped(discovery::probe(&sweep, &mut ev.discovery))
            .await?;
        lap(Section::Discovery);
        let hygiene = chosen.contains(&Section::AuthorizationServer);
        let open = ev.open_without_credentials();
        let (credential, signed_in) = stop
            .unless_stopped(authorization_server::probe(
                &mut sweep,
                discovery.as_ref().map_err(String::as_str),
                hygiene,
                open,
                &mut ev.authorization_server,
            ))
            .await?;
        lap(Section::AuthorizationServer);
        if wants(&[Section::Transport, Section::Review]) {
            stop.unless_stopped(transport::probe(&sweep, &credential, &mut ev.transport))
                .await?;
        }
        lap(Section::Transport);
        if wants(&[
            Section::Tools,
            Section::Tasks,
            Section::Ui,
            Section::Review,
            Section::Hosts,
        ]) {
            stop.unless_stopped(tools::probe(&sweep, &credential, &mut ev.tools))
                .await?;
        }
        lap(Section::Tools);
        if chosen.contains(&Section::Tasks) {
            let tools = ev.listed_tools().map(<[Value]>::to_vec);
            stop.unless_stopped(tasks::probe(
                &sweep,
                &credential,
                tools.as_deref(),
                &mut ev.tasks,
            ))
            .await?;
        }
        lap(Section::Tasks);
        if wants(&[Section::Modern, Section::Hosts]) {
            let tools = ev.listed_tools().map(<[Value]>::to_vec);
            stop.unless_stopped(modern::probe(
                &sweep,
                &credential,
                tools.as_deref(),
                &mut ev.modern,
            ))
            .await?;
        }
        lap(Section::Modern);
        if chosen.contains(&Section::Ui) {
            let tools = ev.listed_tools().map(<[Value]>::to_vec);
            stop.unless_stopped(ui::probe(&sweep, &credential, tools.as_deref(), &mut ev.ui))
                .await?;
        }
        lap(Section::Ui);
        if hygiene {
            stop.unless_stopped(authorization_server::grant_ending(
                &mut sweep,
                signed_in,
                &mut ev.authorization_server,
            ))
            .await?;
        }
        lap(Section::AuthorizationServer);
        Ok(())
    }
    .await;
    ev.stopped = probed.err();
    let exchanges = sweep.wire.transcript.snapshot();
    ev.transcript = exchanges.clone();
    let cost = SweepCost {
        exchanges: exchanges.len(),
        exchange_ms: exchanges.iter().map(|e| e.elapsed_ms).sum(),
        popup_durations_ms: sweep.popup_durations_ms,
        section_ms,
    };
    Ok((ev, cost))
}

impl Sweep<'_> {
    fn url(&self) -> &str {
        self.instance.endpoint_url()
    }

    fn mcp(&self, bearer: Option<&str>) -> McpClient {
        let mut client = McpClient::new(self.wire.clone(), self.url());
        client.bearer = bearer.map(String::from);
        client
    }

    /// One raw exchange, or why none happened.
    async fn raw(&self, request: Request) -> Observed<Exchange> {
        self.wire.send(request).await.map(|r| r.exchange).into()
    }

    /// One request altered on purpose, read as the JSON-RPC response with `id` (if one came).
    async fn rpc_raw(&self, request: Request, id: i64) -> Observed<RpcExchange> {
        match self.wire.send(request).await {
            Err(e) => Observed::not_testable(format!("no usable answer: {e}")),
            Ok(received) => {
                let content_type = received
                    .headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok());
                let message = crate::wire::messages(content_type, &received.body)
                    .into_iter()
                    .find(|m| m.get("id") == Some(&json!(id)) || m.get("id") == Some(&Value::Null));
                Observed::Seen(RpcExchange {
                    exchange: received.exchange,
                    message,
                })
            }
        }
    }

    /// One JSON-RPC request on `client`.
    async fn rpc(
        &self,
        client: &mut McpClient,
        method: &str,
        params: Value,
    ) -> Observed<RpcExchange> {
        client
            .call(method, params)
            .await
            .map(RpcExchange::from)
            .into()
    }

    /// A client past initialize, with the initialize exchange; `Err` says why not. An endpoint that
    /// refuses initialize naming only 2026-07-28 versions (-32022) gets `server/discover` instead: the
    /// client then speaks the stateless era (`client.era`), and the 2025-only probes stand down.
    async fn initialized(&self, bearer: Option<&str>) -> Result<(McpClient, RpcExchange), String> {
        let mut client = self.mcp(bearer);
        let reply = client
            .initialize(client_info(), json!({}))
            .await
            .map_err(|e| e.to_string())?;
        let reply = if modern_only(reply.message.as_ref()) {
            client
                .discover(client_info(), json!({}))
                .await
                .map_err(|e| e.to_string())?
        } else {
            reply
        };
        let reply = RpcExchange::from(reply);
        if reply.result().is_none() {
            return Err(format!(
                "initialize answered {}: {}",
                reply.status(),
                crate::checks::verdict::truncate(&reply.exchange.response_body, 200)
            ));
        }
        Ok((client, reply))
    }
}

/// Whether an answer to `initialize` says the endpoint speaks only the stateless era: -32022 whose
/// `data.supported` names no version of the handshake era.
pub(crate) fn modern_only(message: Option<&Value>) -> bool {
    let Some(error) = message.and_then(|m| m.get("error")) else {
        return false;
    };
    error["code"] == crate::wire::modern::UNSUPPORTED_PROTOCOL_VERSION
        && error["data"]["supported"].as_array().is_some_and(|v| {
            !v.is_empty()
                && v.iter()
                    .all(|v| v.as_str().is_some_and(|v| v >= MODERN_PROTOCOL_VERSION))
        })
}

/// Why a probe of the 2025 era does not apply to an endpoint that speaks only 2026-07-28.
pub(crate) const ONLY_MODERN: &str = "the endpoint speaks only MCP 2026-07-28 (it refused initialize with -32022): sessions, initialize and the 2025 tasks utility do not exist there; sweep/modern judges that era";
