//! The command line: parse, run, report. The library never sees a clap type.

pub mod args;
mod auth_code;
mod cache;
mod cert_assertion;
mod client_credentials;
mod common;
mod credential;
mod device_code;
mod env;
pub mod output;
mod progress;
mod refresh;
pub mod report;

use std::process::ExitCode;

use clap::Parser;
use entra_token::Error;

use args::{Cli, Command};

/// Parses the command line, runs the command, and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match run(&cli) {
        Ok(bytes) => match output::write_stdout(&bytes) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                report::error(&Error::local(format!("cannot write to stdout: {e}")));
                ExitCode::from(1)
            }
        },
        Err(e) => {
            report::error(&e);
            ExitCode::from(e.kind().exit_code())
        }
    }
}

fn run(cli: &Cli) -> entra_token::Result<Vec<u8>> {
    match &cli.command {
        Command::ClientCredentials(args) => {
            let token = client_credentials::run(args, cli.verbose)?;
            render(&token, args.common.output)
        }
        Command::Cache(cmd) => cache::run(cmd),
        Command::DeviceCode(args) => {
            render(&device_code::run(args, cli.verbose)?, args.common.output)
        }
        Command::AuthCode(args) => render(&auth_code::run(args, cli.verbose)?, args.common.output),
        Command::Refresh(args) => render(&refresh::run(args, cli.verbose)?, args.common.output),
        Command::CertAssertion(args) => match cert_assertion::run(args, cli.verbose)? {
            cert_assertion::Outcome::Token(token) => render(&token, args.common.output),
            cert_assertion::Outcome::Assertion(jwt) => {
                Ok(format!("{}\n", jwt.expose()).into_bytes())
            }
        },
    }
}

fn render(
    token: &entra_token::TokenResponse,
    form: args::OutputArg,
) -> entra_token::Result<Vec<u8>> {
    output::render_token(token, form)
        .map_err(|e| Error::local(format!("cannot render the token as JSON: {e}")))
}
