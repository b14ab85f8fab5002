//! `wxsync watch [--host ADDR] [--port 8765] [--open] [--push] [--poll]`: see [`crate::preview::session`].

use std::path::Path;

use crate::error::Result;
use crate::output::Output;
use crate::preview::session::{self, WatchFlags};

pub fn run(site: Option<&Path>, flags: WatchFlags, out: Output) -> Result<i32> {
    session::run(site, flags, out)
}
