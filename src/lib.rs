//! wxsync: render Markdown articles into WeChat-safe HTML and keep an Official Account's draft
//! box in step with a git repository.
//!
//! Data flows one way: [`site`] (config, front matter, articles) → [`render`] (payload HTML,
//! assets, checks) → sync (plan, apply) → report. The binary is a thin shell over [`cmd`].

// A `Diagnostic` is large, but it is only built when something is wrong: boxing it would cost
// more code than the copies it saves.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod cmd;
pub mod diag;
pub mod error;
pub mod preview;
pub mod render;
pub mod site;
pub mod sync;
pub mod wechat;
