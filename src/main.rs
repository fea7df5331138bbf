//! `entra-token`: a thin binary over the library. Parse, run, report, exit.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
