//! Many invocations at once (not timed): the cache's single flight, per-key independence,
//! and refresh tokens that rotate under parallel use. Every run must succeed, the fake
//! must see exactly the expected requests, and every cache file must parse afterwards.

use std::process::{Command, Output, Stdio};

use crate::support::*;

fn run_all(cmds: Vec<Command>) -> Vec<Output> {
    let children: Vec<_> = cmds
        .into_iter()
        .map(|mut c| {
            c.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect()
}

fn all_succeeded(outputs: &[Output]) {
    for (i, o) in outputs.iter().enumerate() {
        assert_eq!(
            o.status.code(),
            Some(0),
            "run {i}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.stdout.starts_with(b"ey"), "run {i} printed a token");
    }
}

fn cache_files_parse(sb: &Sandbox) {
    let mut entries = 0;
    for e in std::fs::read_dir(sb.cache_dir()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with(".tmp-"),
            "a temporary file was left: {name}"
        );
        if name.ends_with(".json") {
            let bytes = std::fs::read(e.path()).unwrap();
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .unwrap_or_else(|err| panic!("{name} does not parse: {err}"));
            entries += 1;
        }
    }
    assert!(entries > 0, "the cache holds entries");
}

fn cc(sb: &Sandbox, fake: &FakeEntra) -> Command {
    let mut c = sb.std_cmd();
    c.arg("client-credentials")
        .env("AZURE_TENANT_ID", TENANT_ID)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .env("AZURE_AUTHORITY_HOST", fake.url());
    c
}

#[test]
fn fifty_parallel_runs_for_one_key_make_one_request() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Delay(std::time::Duration::from_millis(300)));
    let sb = Sandbox::new();
    let outputs = run_all((0..50).map(|_| cc(&sb, &fake)).collect());
    all_succeeded(&outputs);
    assert_eq!(
        fake.issued(),
        1,
        "one request; the others waited and read it"
    );
    let first = &outputs[0].stdout;
    assert!(
        outputs.iter().all(|o| &o.stdout == first),
        "one token for all"
    );
    cache_files_parse(&sb);
}

#[test]
fn fifty_keys_in_parallel_make_fifty_requests() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let outputs = run_all(
        (0..50)
            .map(|i| {
                let mut c = cc(&sb, &fake);
                c.args(["-s", &format!("https://api{i}.contoso.example/.default")]);
                c
            })
            .collect(),
    );
    all_succeeded(&outputs);
    assert_eq!(fake.issued(), 50);
    let token_requests = fake
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/token"))
        .count();
    assert_eq!(token_requests, 50);
    cache_files_parse(&sb);
    // And all fifty are served from the cache now.
    let outputs = run_all(
        (0..50)
            .map(|i| {
                let mut c = cc(&sb, &fake);
                c.args(["-s", &format!("https://api{i}.contoso.example/.default")]);
                c
            })
            .collect(),
    );
    all_succeeded(&outputs);
    assert_eq!(fake.issued(), 50);
}

#[test]
fn parallel_refresh_of_one_rotating_file_never_redeems_a_rotated_away_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let rt = fake.issue_refresh_token(
        PUBLIC_CLIENT_ID,
        "https://graph.microsoft.com/.default openid profile offline_access",
        true,
    );
    let file = sb.write("app.rt", format!("{rt}\n").as_bytes());
    let outputs = run_all(
        (0..10)
            .map(|_| {
                // --no-cache: every run goes to the file and its lock (with the cache,
                // the first run's access token would serve the other nine).
                let mut c = sb.delegated(&fake, "refresh");
                c.arg("--no-cache").arg("--refresh-token-file").arg(&file);
                c
            })
            .collect(),
    );
    all_succeeded(&outputs);
    let refreshes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.field("grant_type") == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 10, "each run redeemed the token it found");
    let mut redeemed: Vec<_> = refreshes
        .iter()
        .map(|r| r.field("refresh_token").unwrap().to_owned())
        .collect();
    redeemed.sort();
    redeemed.dedup();
    assert_eq!(redeemed.len(), 10, "no refresh token was redeemed twice");
    let last = std::fs::read_to_string(&file).unwrap();
    assert!(
        fake.refresh_token_valid(last.trim()),
        "the file holds the live token"
    );
}

#[test]
fn parallel_scopes_share_one_cached_refresh_token_without_racing() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = device_sign_in(&sb, &fake, &["-s", "User.Read"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let outputs = run_all(
        (0..10)
            .map(|i| {
                let mut c = sb.delegated(&fake, "refresh");
                c.args(["-s", &format!("api://contoso-api-{i}/Data.Read")]);
                c
            })
            .collect(),
    );
    all_succeeded(&outputs);
    let refreshes: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.field("grant_type") == Some("refresh_token"))
        .map(|r| r.field("refresh_token").unwrap().to_owned())
        .collect();
    assert_eq!(refreshes.len(), 10);
    let mut unique = refreshes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        10,
        "each scope redeemed the then-current token"
    );
    cache_files_parse(&sb);
}
