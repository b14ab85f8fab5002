use clap::Parser;

fn main() {
    let cli = wxsync::cli::Cli::parse();
    let code = match wxsync::cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            if let wxsync::error::Error::Invalid(diags) = &e {
                let color = std::io::IsTerminal::is_terminal(&std::io::stderr())
                    && std::env::var_os("NO_COLOR").is_none();
                for d in diags {
                    eprint!("{}", d.render(color));
                }
            } else {
                eprintln!("error: {e}");
                if let Some(help) = e.help() {
                    eprintln!("  help: {help}");
                }
            }
            e.exit_code()
        }
    };
    std::process::exit(code);
}
