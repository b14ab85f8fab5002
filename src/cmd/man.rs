//! `wxsync man`: the manual page (roff), generated from the command line definitions.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::output::Output;

pub fn run(out: Output) -> Result<i32> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| Error::Usage(format!("cannot render the man page: {e}")))?;
    out.bytes(&page);
    Ok(0)
}
