//! `wxsync mcp`: a Model Context Protocol server on stdin/stdout, built on the official SDK
//! (`rmcp`). It owns the protocol side only: the tool list with each tool's input schema,
//! argument parsing, and turning a tool's outcome into a structured result. What each tool
//! does is [`crate::project::mcp`], the same pipeline and JSON documents as the CLI's `--json`.
//!
//! stdout carries protocol messages and nothing else; the library's diagnostics go to stderr.
//! Every result passes through [`scrub`] whole, so no secret reaches the agent.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, Implementation, JsonObject,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::project::mcp::{self as tools, ToolOutcome, error_document};
use crate::wechat::redact::scrub;

/// The server: the site the tools work on unless a call names another.
#[derive(Debug, Clone)]
pub struct Server {
    site: Option<PathBuf>,
}

/// A tool call's arguments; every one is optional, and an unknown one is refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Args {
    /// The site directory (else the server's).
    site: Option<PathBuf>,
    /// Articles, relative to the site (else all).
    #[serde(default)]
    paths: Vec<PathBuf>,
    /// `sync` only: true (the default) makes no call; false pushes.
    dry_run: Option<bool>,
    /// `sync` only, with `dry_run: false`: delete the drafts of deleted articles.
    #[serde(default)]
    prune: bool,
    /// `quota` only: the APIs to report (e.g. `draft/update`).
    #[serde(default)]
    apis: Vec<String>,
    /// `status`, `sync`, `quota`: the account (`accounts:` in wxsync.yaml) to work with.
    account: Option<String>,
}

/// The names of the tools, with what they take.
const TOOLS: &[(&str, &str, &[&str])] = &[
    (
        "check",
        "Parse, render and validate every article of the site; no network. The result is \
         `wxsync check --json`: {articles:[{path,payload,warnings,errors}]}, each warning and \
         error with file, line, column, message and help.",
        &["site"],
    ),
    (
        "render",
        "Render articles into what would be sent and write it: .wxsync/out/<path>.html (the \
         payload's content), .json (the payload) and .preview.html (a page to open in a \
         browser). The result is `wxsync render --json` with each article's `preview` and \
         `html` paths added.",
        &["site", "paths"],
    ),
    (
        "status",
        "The plan: which articles a sync would create, update or skip, and why; no network. \
         The result is `wxsync status --json`: {articles:[{path,action,reason,media_id,\
         index}],summary,orphans}.",
        &["site", "paths", "account"],
    ),
    (
        "sync",
        "Push new and changed articles to the draft box. A dry run unless `dry_run` is \
         false: the plan, and the payloads written to .wxsync/out/, with no network. The \
         result is `wxsync sync --json`.",
        &["site", "paths", "dry_run", "prune", "account"],
    ),
    (
        "quota",
        "Today's daily limit, calls used and remaining of each API wxsync uses (one \
         openapi/quota/get call each). The result is `wxsync quota --json`: \
         {apis:[{api,daily_limit,used,remain}]}.",
        &["site", "apis", "account"],
    ),
];

/// The JSON Schema of one argument.
fn property(name: &str) -> Value {
    match name {
        "site" => json!({
            "type": "string",
            "description": "The site directory (the one holding wxsync.yaml, or inside it); \
                            default: the server's"
        }),
        "paths" => json!({
            "type": "array", "items": { "type": "string" },
            "description": "Articles, relative to the site root (default: all)"
        }),
        "dry_run" => json!({
            "type": "boolean", "default": true,
            "description": "true: plan and write the payloads, no network; false: push to \
                            WeChat (needs the account's credentials in the server's environment)"
        }),
        "prune" => json!({
            "type": "boolean", "default": false,
            "description": "With dry_run false: delete the drafts of articles that no longer \
                            exist (only drafts this lockfile created, only when nothing failed)"
        }),
        "account" => json!({
            "type": "string",
            "description": "The account (a name under `accounts:` in wxsync.yaml) to work \
                            with; needed when the site has several and no article is named \
                            (default: the account of the articles named, else the only one)"
        }),
        "apis" => json!({
            "type": "array", "items": { "type": "string" },
            "description": "APIs to report, e.g. draft/update (default: every API wxsync uses)"
        }),
        _ => json!({}),
    }
}

fn tool_list() -> Vec<Tool> {
    TOOLS
        .iter()
        .map(|(name, description, args)| {
            let props: serde_json::Map<String, Value> =
                args.iter().map(|a| (a.to_string(), property(a))).collect();
            let schema = json!({
                "type": "object",
                "properties": props,
                "additionalProperties": false
            });
            let schema: JsonObject = match schema {
                Value::Object(m) => m,
                _ => JsonObject::new(),
            };
            Tool::new(*name, *description, Arc::new(schema))
        })
        .collect()
}

impl Server {
    pub fn new(site: Option<&Path>) -> Server {
        Server {
            site: site.map(Path::to_path_buf),
        }
    }

    /// Runs one tool to its outcome (blocking: the library makes its own runtime).
    fn run(&self, name: &str, args: Args) -> Result<ToolOutcome> {
        let site = args.site.clone().or_else(|| self.site.clone());
        let site = site.as_deref();
        match name {
            "check" => tools::check(site),
            "render" => tools::render(site, &args.paths),
            "status" => tools::status(site, args.account.as_deref(), &args.paths),
            "sync" => tools::sync(
                site,
                args.account.as_deref(),
                &args.paths,
                args.dry_run.unwrap_or(true),
                args.prune,
            ),
            "quota" => tools::quota(site, args.account.as_deref(), &args.apis),
            other => Err(Error::Usage(format!("no tool named `{other}`"))),
        }
    }
}

/// A document made safe to hand out: every known secret value and credential-shaped text
/// masked, in one pass over the whole text ([`scrub`]).
fn safe(document: &Value) -> Value {
    let text = scrub(&document.to_string());
    serde_json::from_str(&text).unwrap_or_else(
        |_| json!({ "error": { "message": "the result could not be made safe to show" } }),
    )
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("wxsync", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "wxsync keeps a WeChat Official Account's draft box in step with a git \
                 repository of Markdown articles. `check` validates, `render` writes what \
                 would be sent and a preview, `status` plans, `sync` pushes (a dry run unless \
                 dry_run is false), `quota` reads today's API quota.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tool_list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> std::result::Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if !TOOLS.iter().any(|(n, _, _)| *n == name) {
            return Err(ErrorData::invalid_params(
                format!("no tool named `{name}`"),
                None,
            ));
        }
        let raw = Value::Object(request.arguments.unwrap_or_default());
        let args: Args = serde_json::from_value(raw).map_err(|e| {
            ErrorData::invalid_params(format!("{name}: invalid arguments: {e}"), None)
        })?;
        // The library blocks and starts runtimes of its own: it runs on a thread of its own.
        let server = self.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(server.run(&name, args));
        });
        let outcome = rx.await.map_err(|_| {
            ErrorData::internal_error("the tool failed unexpectedly (a bug in wxsync)", None)
        })?;
        let result = match outcome {
            Ok(o) if o.failed => CallToolResult::structured_error(safe(&o.document)),
            Ok(o) => CallToolResult::structured(safe(&o.document)),
            Err(e) => CallToolResult::structured_error(safe(&error_document(&e))),
        };
        Ok(result.into())
    }
}

/// Serves MCP on stdin/stdout until the client closes stdin.
pub fn serve(site: Option<&Path>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let server = Server::new(site);
    rt.block_on(async move {
        let running = server
            .serve((tokio::io::stdin(), tokio::io::stdout()))
            .await
            .map_err(|e| Error::Usage(format!("MCP: the session did not start: {e}")))?;
        running
            .waiting()
            .await
            .map_err(|e| Error::Usage(format!("MCP: the session failed: {e}")))?;
        Ok(())
    })
}
