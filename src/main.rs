use clap::Parser;

fn main() {
    let cli = wxsync::cli::Cli::parse();
    let out = wxsync::output::Output::new(cli.json, cli.quiet, cli.verbose, cli.color);
    let code = match wxsync::cmd::run(cli, out) {
        Ok(code) => code,
        Err(e) => {
            out.error(&e);
            e.exit_code()
        }
    };
    std::process::exit(code);
}
