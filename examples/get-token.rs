//! The crate docs' five-line example as a program: an app-only token from the
//! environment, cached between runs.
//!
//! ```sh
//! export AZURE_TENANT_ID=... AZURE_CLIENT_ID=... AZURE_CLIENT_SECRET=...
//! cargo run --example get-token -- https://graph.microsoft.com/.default
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use entra_token::{App, Target};

fn main() -> std::process::ExitCode {
    let scope = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://graph.microsoft.com/.default".to_owned());
    let run = || -> Result<(), entra_token::Error> {
        let app = App::from_env()?;
        let token = app.token(&Target::scope(&scope))?;
        println!("Bearer {}", token.access_token.expose());
        eprintln!("expires at {} (Unix seconds)", token.expires_on);
        Ok(())
    };
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("get-token: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
