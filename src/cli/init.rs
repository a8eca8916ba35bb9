//! `metabind-conformance init --target URL`: looks at a deployment's endpoint as a host would before
//! signing in (whether it asks for credentials, its protected resource metadata, a draft endpoint
//! beside it, its tools when they can be listed) and writes a commented target file to fill in.

use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::CliError;
use crate::mcp_ops;
use crate::target::{preflight, project_of, TargetFile};
use crate::wire::{Limits, McpClient, Net, Wire};

/// What `init` found out.
#[derive(Debug)]
pub struct Inspection {
    pub url: String,
    /// `Some(true)`: answers `initialize` without credentials.
    pub public: Option<bool>,
    /// The 401's `WWW-Authenticate`, when there was one.
    pub challenge: Option<String>,
    pub draft: Option<String>,
    /// The tools, and how they were listed (anonymously, with the token), or why they were not.
    pub tools: Result<(Vec<Value>, String), String>,
}

pub async fn inspect(
    url: &str,
    token: Option<&str>,
    timeout: Duration,
) -> Result<Inspection, CliError> {
    let net: Arc<Net> = Net::for_target(url, &[], timeout, Limits::default())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(t) = token {
        net.secrets.remember(t);
    }
    preflight(url, &net).await?;
    let wire = Wire::new(&net).map_err(|e| CliError::Usage(e.to_string()))?;
    let info = json!({"name": "metabind-conformance-init", "version": env!("CARGO_PKG_VERSION")});
    let mut found = Inspection {
        url: url.trim_end_matches('/').to_owned(),
        public: None,
        challenge: None,
        draft: None,
        tools: Err("not listed".into()),
    };
    let mut anonymous = McpClient::new(wire.clone(), url);
    match anonymous.initialize(info.clone(), json!({})).await {
        Ok(reply) if reply.result().is_some() => found.public = Some(true),
        Ok(reply) if reply.status() == 401 => {
            found.public = Some(false);
            found.challenge = reply.www_authenticate().map(String::from);
        }
        _ => {}
    }
    // A Metabind project has its draft beside it; anything but 404 means it exists.
    if project_of(url).is_some() && !url.trim_end_matches('/').ends_with("/draft") {
        let draft = format!("{}/draft", found.url);
        let mut client = McpClient::new(wire.clone(), &draft);
        if let Ok(reply) = client.initialize(info.clone(), json!({})).await {
            if reply.status() != 404 {
                found.draft = Some(draft);
            }
        }
    }
    found.tools = match (found.public, token) {
        (Some(true), _) => list(&mut anonymous, "anonymously").await,
        (_, Some(token)) => {
            let mut client = McpClient::new(wire.clone(), url);
            client.bearer = Some(token.to_owned());
            match client.initialize(info, json!({})).await {
                Ok(reply) if reply.result().is_some() => list(&mut client, "with the token").await,
                Ok(reply) => Err(format!("initialize with the token answered {}", reply.status())),
                Err(e) => Err(e.to_string()),
            }
        }
        _ => Err("the endpoint asks for credentials: give --token (a project API key) to list its tools here".into()),
    };
    Ok(found)
}

async fn list(client: &mut McpClient, how: &str) -> Result<(Vec<Value>, String), String> {
    let listing = mcp_ops::list_tools(client).await;
    match listing.problem() {
        Some(problem) if listing.tools.is_empty() => Err(problem),
        _ => Ok((listing.tools, how.to_owned())),
    }
}

fn hints(tool: &Value) -> String {
    let a = &tool["annotations"];
    let mut words = Vec::new();
    if a["readOnlyHint"] == true {
        words.push("read-only");
    }
    if a["destructiveHint"] == true {
        words.push("destructive");
    }
    if a["openWorldHint"] == true {
        words.push("open-world");
    }
    if let Some(t) = tool["execution"]["taskSupport"].as_str() {
        words.push(match t {
            "required" => "task required",
            "optional" => "task optional",
            _ => "no tasks",
        });
    }
    if !crate::ui::ui_links(tool).is_empty() {
        words.push("UI");
    }
    if words.is_empty() {
        "no hints".into()
    } else {
        words.join(", ")
    }
}

/// The commented target file for what `inspect` found.
pub fn render(found: &Inspection) -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# Target file for metabind-conformance, written by `metabind-conformance init` from"
    );
    let _ = writeln!(
        w,
        "# {}. Fill in the logins (each password in the environment variable it names:",
        found.url
    );
    let _ = writeln!(w, "# never a secret in this file), then run:");
    let _ = writeln!(w, "#   metabind-conformance run --target-file <this file>");
    let _ = writeln!(w, "# A scenario whose role, endpoint or tool this file does not name is n/a, with the reason.\n");
    let visibility = match found.public {
        Some(true) => {
            let _ = writeln!(
                w,
                "# Found: initialize is answered without credentials (a public project)."
            );
            "public"
        }
        Some(false) => {
            let _ = writeln!(
                w,
                "# Found: initialize without credentials gets 401 ({}).",
                found.challenge.as_deref().unwrap_or("no WWW-Authenticate")
            );
            "private"
        }
        None => {
            let _ = writeln!(w, "# Not found out: the run asks the endpoint each time.");
            "discover"
        }
    };
    let _ = writeln!(w, "visibility = \"{visibility}\"\n");
    let _ = writeln!(w, "[endpoints]");
    let _ = writeln!(w, "production = \"{}\"", found.url);
    match &found.draft {
        Some(draft) => {
            let _ = writeln!(w, "# Found: a draft endpoint answers beside it.");
            let _ = writeln!(w, "draft = \"{draft}\"");
        }
        None => {
            let _ = writeln!(w, "# draft = \"{}/draft\"   # not found", found.url);
        }
    }
    let (base, org) = match project_of(&found.url) {
        Some(p) => (
            found
                .url
                .rsplit_once(&format!("/{}/", p.org))
                .map(|(b, _)| b.to_owned())
                .unwrap_or_default(),
            p.org,
        ),
        None => (String::new(), "<org>".into()),
    };
    let _ = writeln!(
        w,
        "# Other projects some scenarios use; leave out what you do not have:"
    );
    let _ = writeln!(w, "# public = \"{base}/{org}/<a public project>\"");
    let _ = writeln!(
        w,
        "# public_draft = \"{base}/{org}/<a public project>/draft\""
    );
    let _ = writeln!(
        w,
        "# unpublished = \"{base}/{org}/<a project with nothing published>\""
    );
    let _ = writeln!(
        w,
        "# foreign = \"{base}/<another organization>/<its project>\"\n"
    );
    let _ = writeln!(
        w,
        "# Logins by role; the run signs in as each through the authorization popup."
    );
    let _ = writeln!(w, "[logins]");
    for (role, what, var) in [
        (
            "member",
            "may call production tools",
            "METABIND_MEMBER_PASSWORD",
        ),
        (
            "draft_member",
            "may use the draft endpoint",
            "METABIND_DRAFT_MEMBER_PASSWORD",
        ),
        (
            "viewer",
            "may list tools but not call them",
            "METABIND_VIEWER_PASSWORD",
        ),
        (
            "non_member",
            "outside the organization (a member of `foreign`'s)",
            "METABIND_NON_MEMBER_PASSWORD",
        ),
        (
            "second_member",
            "another member like `member`",
            "METABIND_SECOND_MEMBER_PASSWORD",
        ),
    ] {
        let _ = writeln!(
            w,
            "# {role} = {{ email = \"someone@example.com\", password_env = \"{var}\" }}   # {what}"
        );
    }
    let _ = writeln!(
        w,
        "\n# A project API key for custom-host scenarios and the sweep:"
    );
    let _ = writeln!(w, "# token = {{ env = \"METABIND_TOKEN\" }}");
    let _ = writeln!(w, "# [api_keys]");
    let _ = writeln!(
        w,
        "# foreign = {{ env = \"METABIND_FOREIGN_KEY\" }}   # a key of the `foreign` project\n"
    );
    let _ = writeln!(
        w,
        "# The organization's names for roles, for scenarios that change a member's role:"
    );
    let _ = writeln!(w, "# [org_roles]");
    let _ = writeln!(w, "# viewer = \"Viewer\"");
    let _ = writeln!(w, "# member = \"MCP User\"\n");
    let _ = writeln!(w, "[calls]");
    let _ = writeln!(
        w,
        "# The run calls only tools that declare readOnlyHint: true and not destructiveHint: true, and"
    );
    let _ = writeln!(
        w,
        "# those listed in `allow` (never a destructive one unless you list it here)."
    );
    match &found.tools {
        Ok((tools, how)) => {
            let _ = writeln!(w, "# Found {} tools (listed {how}):", tools.len());
            for t in tools {
                let name = t["name"].as_str().unwrap_or("?");
                let called = if t["annotations"]["readOnlyHint"] == true
                    && t["annotations"]["destructiveHint"] != true
                {
                    "called"
                } else {
                    "not called unless allowed"
                };
                let _ = writeln!(w, "#   {name:<30} {:<30} {called}", hints(t));
            }
        }
        Err(why) => {
            let _ = writeln!(w, "# Tools not listed: {why}.");
        }
    }
    let _ = writeln!(w, "allow = []\n");
    let _ = writeln!(
        w,
        "# Arguments for tools whose inputSchema the run cannot fill in (otherwise made up"
    );
    let _ = writeln!(
        w,
        "# from the schema: enum, default, examples, or the type):"
    );
    let _ = writeln!(w, "# [arguments]");
    if let Ok((tools, _)) = &found.tools {
        for t in tools
            .iter()
            .filter(|t| mcp_ops::sample_arguments(&t["inputSchema"]).is_none())
        {
            let _ = writeln!(w, "# {} = {{ }}", t["name"].as_str().unwrap_or("?"));
        }
    }
    let _ = writeln!(
        w,
        "\n# What each tool must declare, as you intend it (a scenario choosing a tool by what it"
    );
    let _ = writeln!(
        w,
        "# declares then takes this one, so a server declaring otherwise is caught). As found:"
    );
    let _ = writeln!(w, "# [tools]");
    if let Ok((tools, _)) = &found.tools {
        for t in tools {
            let a = &t["annotations"];
            let flag = |name: &str| a[name].as_bool().unwrap_or(false);
            let _ = writeln!(
                w,
                "# {} = {{ read_only = {}, destructive = {}, open_world = {} }}",
                t["name"].as_str().unwrap_or("?"),
                flag("readOnlyHint"),
                flag("destructiveHint"),
                flag("openWorldHint")
            );
        }
    }
    let _ = writeln!(
        w,
        "\n# Requests a user might make, for the tool-choice review (otherwise one per tool from"
    );
    let _ = writeln!(w, "# its title and description):");
    let _ = writeln!(w, "# [review]");
    let _ = writeln!(w, "# requests = [{{ ask = \"…\", tool = \"…\" }}]\n");
    let _ = writeln!(
        w,
        "# Server control, for scenarios that change state (without it they stop at that step,"
    );
    let _ = writeln!(
        w,
        "# keeping what they judged): Metabind's REST API with an admin token."
    );
    let _ = writeln!(w, "# [control]");
    let _ = writeln!(w, "# kind = \"metabind-rest\"");
    let _ = writeln!(w, "# base_url = \"https://api.metabind.ai\"");
    let _ = writeln!(w, "# token = {{ env = \"METABIND_ADMIN_TOKEN\" }}");
    let _ = writeln!(
        w,
        "# visibility = false   # true lets scenarios switch visibility (put back after each)"
    );
    out
}

pub async fn init(
    url: &str,
    token: Option<&str>,
    out: Option<&Path>,
    timeout: Duration,
) -> Result<bool, CliError> {
    let found = inspect(url, token, timeout).await?;
    let text = render(&found);
    // What we write must load.
    TargetFile::parse(Path::new("init"), &text, crate::target::file::Origin::User).map_err(
        |e| CliError::Usage(format!("init wrote a target file that does not load: {e}")),
    )?;
    match out {
        None => out!("{text}"),
        Some(path) => {
            if path.exists() {
                return Err(CliError::Usage(format!(
                    "{} exists: init does not overwrite a target file",
                    path.display()
                )));
            }
            std::fs::write(path, &text).map_err(|e| CliError::Write {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
            eprintln!(
                "wrote {}: fill in the logins, then `metabind-conformance run --target-file {}`",
                path.display(),
                path.display()
            );
        }
    }
    Ok(true)
}
