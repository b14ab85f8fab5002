//! `wxsync completions SHELL`: the shell completion script, generated from the command line
//! definitions so it never falls behind them.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Result;
use crate::output::Output;

pub fn run(shell: clap_complete::Shell, out: Output) -> Result<i32> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "wxsync", &mut script);
    out.bytes(&script);
    Ok(0)
}
