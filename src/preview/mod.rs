//! Watch mode: builds of the site kept in memory ([`build`]), their pages ([`page`]), the
//! preview server with live reload ([`server`]), and the file watcher ([`watch`]).

pub mod build;
pub mod page;
pub mod server;
pub mod watch;
