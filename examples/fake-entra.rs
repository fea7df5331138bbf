//! Runs the strict fake Entra from the test tree on 127.0.0.1, so that you can see
//! `entra-token` print a real token with no tenant at all:
//!
//! ```text
//! cargo run --example fake-entra                                   # http://127.0.0.1:8400
//! cargo run --example fake-entra -- 127.0.0.1:0 --tls cert.pem key.pem   # https, any port
//! ```
//!
//! The first line of output is always `fake Entra listening on URL`.
//!
//! It prints the variables to export; violations are logged instead of failing.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::expect_used,
    clippy::unwrap_used
)]

#[path = "../tests/support/fake_entra/mod.rs"]
mod fake_entra;

use fake_entra::{CLIENT_ID, CLIENT_SECRET, FakeEntra, PUBLIC_CLIENT_ID, TENANT_ID, USER_UPN};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (tls, rest): (Option<(String, String)>, Vec<String>) =
        match args.iter().position(|a| a == "--tls") {
            Some(i) if args.len() >= i + 3 => (
                Some((args[i + 1].clone(), args[i + 2].clone())),
                args[..i].iter().chain(&args[i + 3..]).cloned().collect(),
            ),
            Some(_) => {
                eprintln!("fake-entra: --tls takes a certificate PEM and a key PEM");
                std::process::exit(2);
            }
            None => (None, args),
        };
    let addr = rest
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:8400".to_owned());
    let addr: std::net::SocketAddr = match addr.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake-entra: '{addr}' is not an address such as 127.0.0.1:8400: {e}");
            std::process::exit(2);
        }
    };
    if !addr.ip().is_loopback() {
        eprintln!("fake-entra: serves on loopback only");
        std::process::exit(2);
    }
    let read = |p: &str| {
        std::fs::read(p).unwrap_or_else(|e| {
            eprintln!("fake-entra: cannot read {p}: {e}");
            std::process::exit(2);
        })
    };
    let pems = tls.map(|(cert, key)| (read(&cert), read(&key)));
    let fake = match FakeEntra::try_start_for_people(
        addr,
        pems.as_ref().map(|(c, k)| (c.as_slice(), k.as_slice())),
    ) {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "fake-entra: {e}\n  (is another fake already running?) pass another address: cargo run --example fake-entra -- 127.0.0.1:8401"
            );
            std::process::exit(1);
        }
    };
    let url = fake.url();
    println!("fake Entra listening on {url}");
    println!();
    println!("An app with a secret (client credentials):");
    println!("  export AZURE_AUTHORITY_HOST={url}");
    println!("  export AZURE_TENANT_ID={TENANT_ID}");
    println!("  export AZURE_CLIENT_ID={CLIENT_ID}");
    println!("  export AZURE_CLIENT_SECRET='{CLIENT_SECRET}'   # a test-only secret");
    println!("  entra-token client-credentials -o json");
    println!();
    println!("A public client for delegated sign-in (you are {USER_UPN}):");
    println!(
        "  entra-token device-code --authority-host {url} -t {TENANT_ID} -c {PUBLIC_CLIENT_ID}"
    );
    println!("      then open {url}/devicelogin and enter the code");
    println!("  entra-token auth-code --authority-host {url} -t {TENANT_ID} -c {PUBLIC_CLIENT_ID}");
    println!("      then accept on the sign-in page the browser shows");
    println!();
    println!("Ctrl-C to stop.");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
