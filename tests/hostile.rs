//! Targets that are broken or hostile, built here on raw sockets (they misbehave in ways a framework
//! would not let them): replies too large to read whole, pages that never end, bodies that never
//! come, garbage that is not HTTP, URLs the user never named, secrets echoed back, escape sequences
//! for the terminal, runs that outlast their deadline or get SIGTERM. Every case ends with a clear
//! verdict, bounded reads and no secret in any output.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the raw server read it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON-RPC method of the body, if it has one.
    fn rpc(&self) -> (String, Value) {
        let v: Value = serde_json::from_str(&self.body).unwrap_or(Value::Null);
        (
            v["method"].as_str().unwrap_or_default().to_owned(),
            v["id"].clone(),
        )
    }
}

/// What the server does with one request.
enum Reply {
    /// A whole response: status, headers, body.
    Full(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// A 200 whose body is `size` bytes, streamed; the client may stop reading.
    Huge(&'static str, usize),
    /// Headers promising a body that never comes.
    Stall,
    /// Bytes that are not HTTP.
    Garbage(&'static [u8]),
}

fn json_reply(status: u16, body: Value) -> Reply {
    Reply::Full(
        status,
        vec![("content-type", "application/json".into())],
        body.to_string().into_bytes(),
    )
}

/// A raw HTTP/1.1 server on 127.0.0.1:0 that answers each request with `handler`'s reply and counts
/// requests. It lives as long as the test's runtime.
async fn serve(
    handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = Arc::clone(&handler);
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let _ = answer(stream, &*handler, &counter).await;
            });
        }
    });
    (addr, count)
}

async fn read_request(stream: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next()?.split(' ');
    let (method, path) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

async fn answer(
    mut stream: TcpStream,
    handler: &(dyn Fn(&Seen) -> Reply + Send + Sync),
    count: &AtomicUsize,
) -> std::io::Result<()> {
    let Some(seen) = read_request(&mut stream).await else {
        return Ok(());
    };
    count.fetch_add(1, Ordering::Relaxed);
    match handler(&seen) {
        Reply::Full(status, headers, body) => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Reply::Huge(content_type, size) => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {size}\r\nconnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            let block = vec![b'a'; 64 << 10];
            let mut sent = 0;
            while sent < size {
                let n = block.len().min(size - sent);
                stream.write_all(&block[..n]).await?;
                sent += n;
            }
        }
        Reply::Stall => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{")
                .await?;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Reply::Garbage(bytes) => {
            stream.write_all(bytes).await?;
        }
    }
    stream.shutdown().await
}

/// A minimal MCP server without auth: initialize with `instructions`, tools/list from `tools`.
fn mcp(seen: &Seen, instructions: &str, tools: &Value) -> Reply {
    if seen.method == "GET" {
        return Reply::Full(405, Vec::new(), Vec::new());
    }
    let (method, id) = seen.rpc();
    match method.as_str() {
        "initialize" => Reply::Full(
            200,
            vec![("content-type", "application/json".into()), ("mcp-session-id", "s1".into())],
            json!({"jsonrpc": "2.0", "id": id, "result": {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}}, "serverInfo": {"name": "hostile", "version": "1"}, "instructions": instructions}}).to_string().into_bytes(),
        ),
        "" => Reply::Full(202, Vec::new(), Vec::new()),
        "tools/list" => json_reply(200, json!({"jsonrpc": "2.0", "id": id, "result": {"tools": tools}})),
        _ => json_reply(200, json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "no"}})),
    }
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("metabind-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_metabind-conformance"));
    c.env_remove("METABIND_TOKEN")
        .env_remove("METABIND_PASSWORD");
    c
}

/// `run --target` the sweep against `addr` over HTTP popups, writing into `out`.
fn sweep(addr: SocketAddr, out: &Path, extra: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut c = command();
    c.args([
        "run",
        "--target",
        &format!("http://{addr}/mcp"),
        "--scenario",
        "sweep/*",
        "--http-popups",
        "--out",
    ])
    .arg(out)
    .args(extra);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn report(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap()
}

/// Every check of the report with `id`.
fn checks<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["checks"].as_array().unwrap())
        .filter(|c| c["id"] == id)
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_reply_past_the_limit_is_cut_and_reported_with_its_size() {
    let rt = runtime();
    let (addr, _) = rt.block_on(serve(|seen| {
        let (method, _) = seen.rpc();
        if method == "tools/list" {
            Reply::Huge("application/json", 20 << 20)
        } else {
            mcp(seen, "Use the tools.", &json!([]))
        }
    }));
    let out = tempdir("huge");
    let o = sweep(addr, &out, &["--max-response-bytes", "65536"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = report(&out);
    let found = checks(&r, "transport.response.within-limit");
    assert!(
        found.iter().any(|c| c["status"] == "warn"
            && c["actual"].as_str().unwrap().contains("passed 65536 bytes")),
        "{found:?}"
    );
    let size = std::fs::metadata(out.join("report.json")).unwrap().len();
    assert!(
        size < 4 << 20,
        "the report keeps a bounded excerpt, not the reply: {size} bytes"
    );
}

#[test]
fn pages_that_never_end_fail_pagination_at_the_stated_limit() {
    let rt = runtime();
    let page = Arc::new(AtomicUsize::new(0));
    let (addr, _) = rt.block_on(serve(move |seen| {
        let (method, id) = seen.rpc();
        if method == "tools/list" {
            let n = page.fetch_add(1, Ordering::Relaxed);
            json_reply(200, json!({"jsonrpc": "2.0", "id": id, "result": {"tools": [], "nextCursor": format!("c{n}")}}))
        } else {
            mcp(seen, "x", &json!([]))
        }
    }));
    let out = tempdir("endless");
    let o = sweep(addr, &out, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = report(&out);
    let p = checks(&r, "tools.list.pagination");
    assert!(
        p.iter().any(
            |c| c["status"] == "fail" && c["actual"].as_str().unwrap().contains("does not end")
        ),
        "{p:?}"
    );
}

#[test]
fn a_body_that_never_comes_exits_2_with_did_not_answer() {
    let rt = runtime();
    let (addr, _) = rt.block_on(serve(|_| Reply::Stall));
    let o = sweep(addr, &tempdir("stall"), &["--timeout", "2"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("did not answer (or never finished its answer) within 2 s"),
        "{}",
        text(&o)
    );
}

#[test]
fn garbage_that_is_not_http_exits_2_saying_so() {
    let rt = runtime();
    let (addr, _) = rt.block_on(serve(|_| Reply::Garbage(b"SSH-2.0-OpenSSH\r\n\r\n")));
    let o = sweep(addr, &tempdir("garbage"), &[], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not HTTP"), "{}", text(&o));
}

#[test]
fn urls_the_user_did_not_name_are_never_fetched_and_the_refusal_is_a_finding() {
    let rt = runtime();
    // Another loopback origin the target points at: it must see no request at all.
    let (elsewhere, hits) = rt.block_on(serve(|_| json_reply(200, json!({"resource": "x"}))));
    let (addr, _) = rt.block_on(serve(move |seen| {
        if seen.path.starts_with("/.well-known/oauth-protected-resource") {
            // The PRM names an authorization server at the cloud metadata address.
            return json_reply(200, json!({"resource": format!("http://{}/mcp", seen.header("host").unwrap_or_default()), "authorization_servers": ["http://169.254.169.254/"]}));
        }
        Reply::Full(
            401,
            vec![("www-authenticate", format!("Bearer resource_metadata=\"http://{elsewhere}/prm\""))],
            Vec::new(),
        )
    }));
    let out = tempdir("ssrf");
    let o = sweep(addr, &out, &[], &[]);
    assert_ne!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        hits.load(Ordering::Relaxed),
        0,
        "the other origin was reached"
    );
    let all = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        all.contains("refused to reach"),
        "the refusal is reported with the URL"
    );
}

#[test]
fn secrets_echoed_by_the_server_never_reach_any_output() {
    let rt = runtime();
    // Echoes every request, headers included, into an error, a 401 challenge and instructions.
    let (addr, _) = rt.block_on(serve(|seen| {
        let echo = format!("{:?} {}", seen.headers, seen.body);
        let (method, id) = seen.rpc();
        if method == "initialize" {
            return json_reply(200, json!({"jsonrpc": "2.0", "id": id, "result": {"protocolVersion": "2025-11-25", "capabilities": {}, "serverInfo": {"name": "echo", "version": "1"}, "instructions": echo}}));
        }
        json_reply(400, json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32600, "message": echo, "Token": echo}}))
    }));
    let out = tempdir("echo");
    let secret = "sk-hostile-echo-7f3a9c";
    let o = sweep(addr, &out, &[], &[("METABIND_TOKEN", secret)]);
    assert!(o.status.code().is_some(), "{}", text(&o));
    assert!(!text(&o).contains(secret), "the terminal shows the token");
    for file in walk(&out) {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "{} holds the token",
            file.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn terminal_escapes_in_a_reply_are_shown_escaped() {
    let rt = runtime();
    let (addr, _) = rt.block_on(serve(|seen| {
        mcp(
            seen,
            "\u{1b}[2J\u{1b}]0;PWNED\u{7}ALL CHECKS PASSED",
            &json!([{"name": "t\u{1b}[31m", "inputSchema": {"type": "object"}}]),
        )
    }));
    let o = sweep(addr, &tempdir("escapes"), &[], &[]);
    let shown = text(&o);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "raw control characters reached the terminal"
    );
}

#[test]
fn the_deadline_stops_the_run_and_writes_what_it_had() {
    let rt = runtime();
    let (addr, _) = rt.block_on(serve(|seen| {
        let (method, _) = seen.rpc();
        if method == "ping" {
            return json_reply(200, json!({"jsonrpc": "2.0", "id": 0, "result": {}}));
        }
        Reply::Stall
    }));
    let out = tempdir("deadline");
    let o = sweep(addr, &out, &["--timeout", "30", "--deadline", "3"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("deadline (3 s)"), "{}", text(&o));
    let report = report(&out);
    assert!(report["stopped"].as_str().unwrap().contains("deadline"));
    // The sweep judged what it had: the sections are there, and what it never reached says why.
    let unprobed = checks(&report, "tools.list.pagination");
    assert_eq!(unprobed.len(), 1, "{report}");
    assert!(
        unprobed[0]["message"]
            .as_str()
            .unwrap()
            .contains("the run stopped (the run's deadline (3 s) passed) before this was probed"),
        "{}",
        unprobed[0]
    );
}

#[test]
fn sigterm_stops_the_run_writes_its_reports_and_leaves_no_browser_behind() {
    let rt = runtime();
    let (addr, _) = rt.block_on(serve(|seen| {
        let (method, _) = seen.rpc();
        if method == "ping" {
            return json_reply(200, json!({"jsonrpc": "2.0", "id": 0, "result": {}}));
        }
        Reply::Stall
    }));
    let out = tempdir("sigterm");
    // A real browser, so that its cleanup is what is tested.
    let mut child = command()
        .args([
            "run",
            "--target",
            &format!("http://{addr}/mcp"),
            "--scenario",
            "sweep/*",
            "--timeout",
            "60",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Wait for the run to start (it prints "running against" once the browser is up).
    let mut stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    use std::io::Read;
    while !String::from_utf8_lossy(&seen).contains("running against") {
        if stderr.read(&mut byte).unwrap_or(0) == 0 {
            break;
        }
        seen.push(byte[0]);
    }
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2), "{}", String::from_utf8_lossy(&seen));
    assert!(report(&out)["stopped"]
        .as_str()
        .unwrap()
        .contains("SIGTERM"));
    let leftovers: Vec<String> = std::fs::read_dir(std::env::temp_dir().join("metabind-chromium"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&format!("{pid}-")))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        leftovers.is_empty(),
        "profile directories left: {leftovers:?}"
    );
}
