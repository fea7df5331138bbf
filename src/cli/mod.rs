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
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            let mut text = e.render().to_string();
            if let Some(examples) = long_help_examples() {
                text = format!("{}\n\n{examples}\n", text.trim_end());
            }
            let _ = output::write_stdout(text.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // --version prints to stdout and exits 0; usage errors exit 2.
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
    if let Some(out) = output_args(&cli.command) {
        output::check(out)?;
    }
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
                env_name: args
                    .out
                    .env_name
                    .as_deref()
                    .unwrap_or(output::DEFAULT_ENV_NAME),
            };
            output::render_token(&token, args.out.output, &ctx)
        }
        Command::Decode(args) => decode::run(args),
        Command::Cache(cmd) => cache::run(cmd),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "entra-token", &mut out);
            if *shell == clap_complete::Shell::Bash {
                // clap_complete names the dispatch states of a hyphenated binary two ways
                // (`entra__token` and `entra__subcmd__token`), so nothing after the
                // subcommand completed; one name makes them meet.
                let script =
                    String::from_utf8_lossy(&out).replace("entra__subcmd__token", "entra__token");
                return Ok(script.into_bytes());
            }
            Ok(out)
        }
        Command::Man { dir } => man(dir.as_deref()),
    }
}

/// The output options of a token command.
fn output_args(command: &Command) -> Option<&args::OutputArgs> {
    Some(match command {
        Command::ClientCredentials(a) => &a.common.out,
        Command::CertAssertion(a) => &a.common.out,
        Command::DeviceCode(a) => &a.common.out,
        Command::AuthCode(a) => &a.common.out,
        Command::Refresh(a) => &a.common.out,
        Command::ManagedIdentity(a) => &a.out,
        _ => return None,
    })
}

/// The EXAMPLES to print after `--help` (or `help COMMAND`), verbatim; none after `-h`.
fn long_help_examples() -> Option<&'static str> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let (long, path) = match words.as_slice() {
        ["help", rest @ ..] => (true, rest),
        all => (args.iter().any(|a| a == "--help"), all),
    };
    if !long {
        return None;
    }
    match path {
        ["cache", "list" | "clear", ..] => None,
        [first, ..] => args::examples(&[first]),
        [] => None,
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
            a.app.tenant.as_deref(),
            a.app.client_id.as_deref(),
            &a.app.scopes[..],
            a.app.resource.as_deref(),
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
        a.app.tenant.as_deref(),
        a.app.client_id.as_deref(),
        &a.app.scopes[..],
        a.app.resource.as_deref(),
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
        tenant: args.app.tenant.as_deref().unwrap_or("organizations"),
        env_name: args
            .out
            .env_name
            .as_deref()
            .unwrap_or(output::DEFAULT_ENV_NAME),
    };
    output::render_token(token, args.out.output, &ctx)
}

/// Man pages from the clap definitions: the main page on stdout, or in a directory the
/// main page and one per command (nested ones too: `entra-token-cache-list.1`).
fn man(dir: Option<&std::path::Path>) -> Result<Vec<u8>> {
    // Pages are not written for `help`, so no page refers to one.
    let cmd = Cli::command()
        .disable_help_subcommand(true)
        .mut_subcommand("cache", |c| c.disable_help_subcommand(true));
    let Some(dir) = dir else {
        return man_page(cmd, None);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut pages = vec![("entra-token".to_owned(), cmd.clone())];
    let mut i = 0;
    while i < pages.len() {
        let (name, command) = pages[i].clone();
        for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
            let sub_name = format!("{name}-{}", sub.get_name());
            pages.push((sub_name.clone(), sub.clone().name(sub_name)));
        }
        i += 1;
    }
    for (name, command) in pages {
        let path = dir.join(format!("{name}.1"));
        let sub = name.strip_prefix("entra-token-").unwrap_or("");
        let examples = args::examples(&[sub]);
        std::fs::write(&path, man_page(command, examples)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(Vec::new())
}

/// One page: clap_mangen's sections, then the command's EXAMPLES (and EXIT STATUS) as
/// sections of their own, unfilled so that every example stays one copyable line.
fn man_page(cmd: clap::Command, extra: Option<&str>) -> Result<Vec<u8>> {
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let has_version = cmd.get_version().is_some() || cmd.get_long_version().is_some();
    let man = clap_mangen::Man::new(cmd);
    let mut out = Vec::new();
    let fail = "cannot render the man page";
    man.render_title(&mut out).context(fail)?;
    man.render_name_section(&mut out).context(fail)?;
    man.render_synopsis_section(&mut out).context(fail)?;
    man.render_description_section(&mut out).context(fail)?;
    if has_args {
        man.render_options_section(&mut out).context(fail)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut out).context(fail)?;
    }
    if let Some(text) = extra {
        out.extend_from_slice(roff_sections(text).as_bytes());
    }
    if has_version {
        man.render_version_section(&mut out).context(fail)?;
    }
    Ok(out)
}

/// `HEADING:` lines become `.SH HEADING`; everything else is kept as it is (`.nf`).
fn roff_sections(text: &str) -> String {
    let mut out = String::new();
    let mut open = false;
    for line in text.lines() {
        let heading = line.strip_suffix(':').filter(|h| {
            !h.starts_with(' ') && h.chars().all(|c| c.is_ascii_uppercase() || c == ' ')
        });
        if let Some(h) = heading {
            if open {
                out.push_str(".fi\n");
            }
            out.push_str(&format!(".SH {h}\n.nf\n"));
            open = true;
            continue;
        }
        let escaped = line.replace('\\', "\\e").replace('-', "\\-");
        if escaped.starts_with('.') || escaped.starts_with('\'') {
            out.push_str("\\&");
        }
        out.push_str(&escaped);
        out.push('\n');
    }
    if open {
        out.push_str(".fi\n");
    }
    out
}
