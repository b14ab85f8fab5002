//! wxsync: render Markdown articles into WeChat-safe HTML and keep an Official Account's draft
//! box in step with a git repository.
//!
//! Data flows one way: [`site`] (config, front matter, articles) → [`render`] (payload HTML,
//! assets, checks) → sync (plan, apply) → report. The binary is a thin shell over [`cmd`].

pub mod cli;
pub mod cmd;
pub mod diag;
pub mod error;
pub mod render;
pub mod site;
pub mod wechat;
