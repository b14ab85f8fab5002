//! wxsync: render Markdown articles into WeChat-safe HTML and keep an Official Account's draft
//! box in step with a git repository.
//!
//! Data flows one way, driven by [`project`] (the `MDBook` of wxsync):
//!
//! ```text
//!  site ──────────► render ──────────► plan ─────────► apply ─────────► report
//!  site::          render::            sync::plan      sync::apply      sync::report
//!  (config,        (body, images,      (against        (upload, push,   (table, JSON,
//!   front matter,   cover, validate,    sync::lock)     reconcile,       sync::github)
//!   articles)       render::cache)                      prune; each
//!                                                       payload through
//!                                                       sync::resolve)
//!                       │                                   │
//!                       └──── media (probe) ──── media (prepare, cache, fetch)
//!                                                           │
//!                                                        wechat (client, tokens, errors,
//!                                                                the payload type)
//! ```
//!
//! Around it: [`cmd`] (one thin module per subcommand, over [`project`]), [`output`] (what is
//! printed, where), [`preview`] (watch mode, over [`project`]), [`mcp`] (the MCP server, over
//! [`project`]), [`relay`] (the token relay, over [`wechat`]), [`scaffold`] (`init`), and the
//! leaves every stage uses: [`fs`], [`hash`], [`diag`], [`error`], [`time`], [`interrupt`].
//! [`wechat`] depends on nothing else in the crate.

// A `Diagnostic` is large, but it is only built when something is wrong: boxing it would cost
// more code than the copies it saves.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod cmd;
pub mod diag;
pub mod error;
pub mod fs;
pub mod hash;
pub mod interrupt;
pub mod mcp;
pub mod media;
pub mod output;
pub mod preview;
pub mod project;
pub mod relay;
pub mod render;
pub mod scaffold;
pub mod site;
pub mod sync;
pub mod time;
pub mod wechat;
