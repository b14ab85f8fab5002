//! Watch mode: a session ([`session`]) keeps builds of the site in memory ([`build`]), serves
//! their pages ([`page`]) with live reload ([`server`]), rebuilds when the file watcher
//! ([`watch`]) sees a save, and shows images as WeChat will get them ([`images`]).

pub mod build;
pub mod images;
pub mod page;
pub mod server;
pub mod session;
pub mod watch;
