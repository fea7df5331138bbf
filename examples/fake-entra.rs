//! Runs the strict fake Entra from the test tree on 127.0.0.1, so that you can see
//! `entra-token` print a real token with no tenant at all:
//!
//! ```text
//! cargo run --example fake-entra            # serves on http://127.0.0.1:8400
//! ```
//!
//! It prints the variables to export; violations are logged instead of failing.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::expect_used,
    clippy::unwrap_used
)]

#[path = "../tests/support/fake_entra.rs"]
mod fake_entra;

use fake_entra::{CLIENT_ID, CLIENT_SECRET, FakeEntra, TENANT_ID};

fn main() {
    let addr = std::env::args()
        .nth(1)
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
    let fake = FakeEntra::start_on(addr, true);
    println!("fake Entra listening on {}", fake.url());
    println!();
    println!("  export AZURE_AUTHORITY_HOST={}", fake.url());
    println!("  export AZURE_TENANT_ID={TENANT_ID}");
    println!("  export AZURE_CLIENT_ID={CLIENT_ID}");
    println!("  export AZURE_CLIENT_SECRET='{CLIENT_SECRET}'   # a test-only secret");
    println!("  entra-token client-credentials -o json");
    println!();
    println!("Ctrl-C to stop.");
    loop {
        std::thread::park();
    }
}
