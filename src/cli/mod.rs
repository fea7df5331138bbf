//! The command line: parse, run, report. The library never sees a clap type.

mod admin_consent;
pub mod args;
mod auth_code;
mod cache;
mod cert_assertion;
mod client_credentials;
mod credential;
mod decode;
mod device_code;
mod managed_identity;
mod options;
pub mod output;
mod progress;
mod redirect;
mod refresh;
pub mod report;

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

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
                report::error(
                    &anyhow::Error::new(e).context("cannot write to stdout"),
                    None,
                );
                ExitCode::from(1)
            }
        },
        Err(e) => {
            report::error(&e, consent_command(&cli).as_deref());
            ExitCode::from(report::exit_code(&e))
        }
    }
}

fn run(cli: &Cli) -> Result<Vec<u8>> {
    let v = cli.verbose;
    match &cli.command {
        Command::ClientCredentials(args) => {
            render(&client_credentials::run(args, v)?, &args.common)
        }
        Command::CertAssertion(args) => match cert_assertion::run(args, v)? {
            cert_assertion::Outcome::Token(token) => render(&token, &args.common),
            cert_assertion::Outcome::Assertion(jwt) => {
                Ok(format!("{}\n", jwt.expose()).into_bytes())
            }
        },
        Command::DeviceCode(args) => render(&device_code::run(args, v)?, &args.common),
        Command::AuthCode(args) => render(&auth_code::run(args, v)?, &args.common),
        Command::Refresh(args) => render(&refresh::run(args, v)?, &args.common),
        Command::AdminConsent(args) => admin_consent::run(args),
        Command::ManagedIdentity(args) => {
            let token = managed_identity::run(args, v)?;
            let ctx = output::Context {
                tenant: "",
                env_name: &args.out.env_name,
            };
            output::render_token(&token, args.out.output, &ctx)
        }
        Command::Decode(args) => decode::run(args),
        Command::Cache(cmd) => cache::run(cmd),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "entra-token", &mut out);
            Ok(out)
        }
        Command::Man { dir } => man(dir.as_deref()),
    }
}

/// The `entra-token admin-consent` line that installs this invocation's app with its
/// permissions, for the hint of a consent refusal (AADSTS65001, 90093, 90094).
fn consent_command(cli: &Cli) -> Option<String> {
    let (tenant, client_id, scopes, resource) = match &cli.command {
        Command::ClientCredentials(a) => token_parts(&a.common),
        Command::CertAssertion(a) => token_parts(&a.common),
        Command::DeviceCode(a) => token_parts(&a.common),
        Command::AuthCode(a) => token_parts(&a.common),
        Command::Refresh(a) => token_parts(&a.common),
        Command::AdminConsent(a) => (
            a.tenant.as_deref(),
            a.client_id.as_deref(),
            &a.scopes[..],
            a.resource.as_deref(),
        ),
        _ => return None,
    };
    let mut line = format!("entra-token admin-consent -c {}", shell_word(client_id?)?);
    if let Some(t) = tenant {
        line.push_str(&format!(" -t {}", shell_word(t)?));
    }
    if let Some(r) = resource {
        line.push_str(&format!(" -r {}", shell_word(r)?));
    } else {
        let oidc = entra_token::scope::OIDC_SCOPES;
        let wanted: Vec<&str> = scopes
            .iter()
            .flat_map(|s| s.split_whitespace())
            .filter(|s| !oidc.contains(s) && *s != entra_token::scope::DEFAULT_SCOPE)
            .collect();
        if !wanted.is_empty() {
            line.push_str(&format!(" -s {}", shell_word(&wanted.join(" "))?));
        }
    }
    Some(line)
}

fn token_parts(a: &args::TokenArgs) -> (Option<&str>, Option<&str>, &[String], Option<&str>) {
    (
        a.tenant.as_deref(),
        a.client_id.as_deref(),
        &a.scopes[..],
        a.resource.as_deref(),
    )
}

/// A value as one shell word: bare when plain, else single-quoted; `None` when it holds a
/// quote or a control character (then no line is suggested).
fn shell_word(value: &str) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._:/@=+,".contains(c);
    if !value.is_empty() && value.chars().all(plain) {
        return Some(value.to_owned());
    }
    (!value.contains(|c: char| c == '\'' || c.is_control())).then(|| format!("'{value}'"))
}

fn render(token: &entra_token::TokenResponse, args: &args::TokenArgs) -> Result<Vec<u8>> {
    let ctx = output::Context {
        tenant: args.tenant.as_deref().unwrap_or("organizations"),
        env_name: &args.out.env_name,
    };
    output::render_token(token, args.out.output, &ctx)
}

/// Man pages from the clap definitions: the main page on stdout, or every page in a dir.
fn man(dir: Option<&std::path::Path>) -> Result<Vec<u8>> {
    let cmd = Cli::command();
    let page = |c: clap::Command| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        clap_mangen::Man::new(c)
            .render(&mut out)
            .context("cannot render the man page")?;
        Ok(out)
    };
    let Some(dir) = dir else {
        return page(cmd);
    };
    let write = |name: &str, bytes: Vec<u8>| {
        std::fs::write(dir.join(name), bytes)
            .with_context(|| format!("cannot write {}", dir.join(name).display()))
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("entra-token-{}", sub.get_name());
        write(&format!("{name}.1"), page(sub.clone().name(name.clone()))?)?;
    }
    write("entra-token.1", page(cmd)?)?;
    Ok(Vec::new())
}
