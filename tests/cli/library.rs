//! The library as a Rust user meets it: the `get-token` example (the crate docs' five
//! lines) against the fake, cached between runs.

use crate::support::*;

fn example(name: &str) -> std::path::PathBuf {
    // target/debug/deps/cli-HASH -> target/debug/examples/NAME
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap();
    dir.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

#[test]
fn the_five_line_example_gets_a_cached_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let run = || {
        let out = std::process::Command::new(example("get-token"))
            .env_clear()
            .env("HOME", sb.path())
            .env("ENTRA_TOKEN_CACHE_DIR", sb.cache_dir())
            .env("AZURE_TENANT_ID", TENANT_ID)
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
            .env("AZURE_AUTHORITY_HOST", fake.url())
            .output()
            .expect("run the get-token example: plain `cargo test` builds it, `cargo test --test cli` alone does not");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run();
    assert!(first.starts_with("Bearer ey"), "{first}");
    let second = run();
    assert_eq!(first, second, "the second run is served from the cache");
    assert_eq!(fake.issued(), 1);
    let sent = &fake.requests()[0];
    assert_eq!(sent.field("grant_type"), Some("client_credentials"));
    assert_eq!(sent.field("client_secret"), Some(CLIENT_SECRET));
}

#[test]
fn without_the_environment_the_example_says_what_is_missing() {
    let out = std::process::Command::new(example("get-token"))
        .env_clear()
        .output()
        .expect("run the get-token example: plain `cargo test` builds it");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "get-token: AZURE_TENANT_ID is not set\n"
    );
}
