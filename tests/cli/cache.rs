//! The token cache through the real binary: reuse without requests, margins, modes,
//! corruption, single flight, silent refresh and rotation, list and clear.

use crate::support::*;

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn entries(sb: &Sandbox) -> Vec<std::path::PathBuf> {
    let Ok(dir) = std::fs::read_dir(sb.cache_dir()) else {
        return Vec::new();
    };
    let mut v: Vec<_> = dir
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_second_identical_call_is_served_from_the_cache_without_a_request() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let first = run(sb.client_credentials(&fake).args(["-o", "json"]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = run(sb.client_credentials(&fake).args(["-o", "json"]));
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.stderr, "");
    assert_eq!(fake.requests().len(), 1, "served from the cache");
    let (a, b) = (json(&first), json(&second));
    assert_eq!(a["access_token"], b["access_token"]);
    assert_eq!(a["expires_on"], b["expires_on"], "expires_on is unchanged");
    assert!(
        b["expires_in"].as_u64().unwrap() < a["expires_in"].as_u64().unwrap(),
        "expires_in is the time left"
    );
    let token = run(&mut sb.client_credentials(&fake));
    assert_eq!(
        token.stdout,
        format!("{}\n", a["access_token"].as_str().unwrap())
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_cache_hit_builds_no_http_client() {
    // A missing --ca-file fails as soon as the HTTP/TLS client is built; a hit never
    // gets that far.
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    assert_eq!(run(&mut sb.client_credentials(&fake)).code, 0);
    let r = run(sb
        .client_credentials(&fake)
        .args(["--ca-file", "/nonexistent/ca.pem"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(sb.client_credentials(&fake).args([
        "--ca-file",
        "/nonexistent/ca.pem",
        "--force-refresh",
    ]));
    assert_eq!(r.code, 1, "a miss does build it");
}

#[test]
fn different_scopes_secrets_and_tenants_are_different_entries() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let calls: [&[&str]; 4] = [
        &[],
        &["-s", "api://orders/.default"],
        &["-t", TENANT_DOMAIN],
        &["-r", "https://graph.microsoft.com"],
    ];
    for args in calls {
        assert_eq!(run(sb.client_credentials(&fake).args(args)).code, 0);
    }
    assert_eq!(fake.requests().len(), 4);
    let r = run(sb
        .client_credentials(&fake)
        .env("AZURE_CLIENT_SECRET", "another-secret"));
    assert_eq!(
        r.code, 3,
        "another secret is another key, so it goes to Entra"
    );
    assert_eq!(fake.requests().len(), 5);
}

#[test]
fn a_token_with_less_than_the_minimum_validity_left_is_not_reused() {
    let fake = FakeEntra::start();
    fake.set_token_lifetime(200);
    let sb = Sandbox::new();
    for _ in 0..2 {
        assert_eq!(run(&mut sb.client_credentials(&fake)).code, 0);
    }
    assert_eq!(
        fake.requests().len(),
        2,
        "200 s left is under the 5 min default"
    );
    assert_eq!(
        run(sb.client_credentials(&fake).args(["--min-validity", "60"])).code,
        0
    );
    assert_eq!(fake.requests().len(), 2, "but enough for --min-validity 60");
    assert_eq!(
        run(sb.client_credentials(&fake).args(["--min-validity", "4m"])).code,
        0
    );
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn force_refresh_skips_the_read_but_stores_and_no_cache_does_neither() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let first = run(&mut sb.client_credentials(&fake)).stdout;
    let forced = run(sb.client_credentials(&fake).arg("--force-refresh")).stdout;
    assert_ne!(first, forced);
    let after = run(&mut sb.client_credentials(&fake)).stdout;
    assert_eq!(after, forced, "the forced token was stored");
    assert_eq!(fake.requests().len(), 2);

    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for _ in 0..2 {
        assert_eq!(run(sb.client_credentials(&fake).arg("--no-cache")).code, 0);
    }
    assert_eq!(fake.requests().len(), 2);
    assert!(entries(&sb).is_empty(), "--no-cache wrote nothing");
    let r = run(sb
        .client_credentials(&fake)
        .args(["--no-cache", "--force-refresh"]));
    assert_eq!(r.code, 2);
}

#[cfg(unix)]
#[test]
fn the_cache_directory_is_0700_and_its_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    assert_eq!(run(&mut sb.client_credentials(&fake)).code, 0);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&sb.cache_dir()), 0o700);
    let files: Vec<_> = std::fs::read_dir(sb.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

#[cfg(unix)]
#[test]
fn an_existing_cache_directory_open_to_others_is_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.cache_dir()).unwrap();
    std::fs::set_permissions(sb.cache_dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(run(&mut sb.client_credentials(&fake)).code, 0);
    let mode = std::fs::metadata(sb.cache_dir())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn a_corrupt_or_foreign_entry_is_ignored_with_one_warning_and_replaced() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    assert_eq!(run(&mut sb.client_credentials(&fake)).code, 0);
    let files = entries(&sb);
    assert_eq!(files.len(), 1);
    let entry = &files[0];
    let original = std::fs::read_to_string(entry).unwrap();
    for (broken, warning) in [
        (
            original[..original.len() / 2].to_owned(),
            "ignoring corrupt cache entry",
        ),
        (
            "\u{0}\u{1}garbage".to_owned(),
            "ignoring corrupt cache entry",
        ),
        (
            original.replacen("\"version\":1", "\"version\":99", 1),
            "of format version 99",
        ),
    ] {
        std::fs::write(entry, &broken).unwrap();
        let r = run(&mut sb.client_credentials(&fake));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.starts_with("ey"));
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.starts_with("entra-token: warning: "),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(warning), "{}", r.stderr);
        let replaced: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(entry).unwrap()).unwrap();
        assert_eq!(replaced["version"], 1);
    }
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.stderr, "", "the replaced entry is good again");
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn an_unusable_cache_directory_degrades_to_no_cache_with_a_warning() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let file = sb.write("not-a-directory", b"x");
    let r = run(sb
        .client_credentials(&fake)
        .env("ENTRA_TOKEN_CACHE_DIR", file.join("cache")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("ey"));
    assert_eq!(r.stderr.lines().count(), 1);
    assert!(
        r.stderr
            .starts_with("entra-token: warning: cannot use the token cache at "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.ends_with("going on without it\n"), "{}", r.stderr);
}

#[test]
fn twenty_concurrent_identical_calls_make_one_request() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Delay(std::time::Duration::from_millis(1500)));
    let sb = Sandbox::new();
    let children: Vec<_> = (0..20)
        .map(|_| {
            let mut c = sb.std_cmd();
            c.arg("client-credentials")
                .env("AZURE_TENANT_ID", TENANT_ID)
                .env("AZURE_CLIENT_ID", CLIENT_ID)
                .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
                .env("AZURE_AUTHORITY_HOST", fake.url())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            o.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.stdout, outputs[0].stdout);
    }
    assert!(outputs[0].stdout.starts_with(b"ey"));
    assert_eq!(fake.requests().len(), 1, "one request for twenty callers");
}

fn count(fake: &FakeEntra, path_end: &str, grant: Option<&str>) -> usize {
    fake.requests()
        .iter()
        .filter(|r| {
            r.path.ends_with(path_end) && grant.is_none_or(|g| r.field("grant_type") == Some(g))
        })
        .count()
}

#[test]
fn delegated_tokens_are_reused_then_silently_refreshed_and_rotation_is_stored() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = device_sign_in(&sb, &fake, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let signed_in = r.stdout.clone();

    // Reused: no request, no prompt.
    let r = Live::spawn(&mut sb.delegated(&fake, "device-code")).finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        (signed_in.as_str(), "")
    );
    assert_eq!(count(&fake, "/devicecode", None), 1);

    // Below the margin: the cached refresh token is used, silently.
    for round in 0..2 {
        let r = Live::spawn(
            sb.delegated(&fake, "device-code")
                .args(["--min-validity", "2h"]),
        )
        .finish();
        assert_eq!(r.code, 0, "round {round}: {}", r.stderr);
        assert_eq!(r.stderr, "", "no prompt");
        assert_ne!(r.stdout, signed_in);
        assert_eq!(count(&fake, "/devicecode", None), 1, "no new sign-in");
        assert_eq!(count(&fake, "/token", Some("refresh_token")), round + 1);
    }
    // The second refresh worked only because the rotated refresh token was stored: the fake
    // revokes each one it rotates.
}

#[test]
fn a_refused_cached_refresh_token_leads_to_a_new_sign_in() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    assert_eq!(device_sign_in(&sb, &fake, &[]).code, 0);
    // Revoke the cached refresh token behind the tool's back.
    let rt_file = entries(&sb)
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("rt-"))
        .unwrap();
    let rt: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rt_file).unwrap()).unwrap();
    let (status, _) = raw_post(
        &fake.token_url(TENANT_ID, true),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("refresh_token", rt["refresh_token"].as_str().unwrap()),
            (
                "scope",
                "https://graph.microsoft.com/.default openid profile offline_access",
            ),
        ],
    );
    assert_eq!(status, 200);
    let r = device_sign_in(&sb, &fake, &["--min-validity", "2h"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "entra-token: warning: the cached sign-in of {USER_UPN} is no longer valid (AADSTS50173"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(count(&fake, "/devicecode", None), 2);
}

#[test]
fn refresh_without_a_file_uses_the_cached_refresh_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(&mut sb.delegated_cmd(&fake, "refresh"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no cached refresh token"), "{}", r.stderr);
    assert_eq!(device_sign_in(&sb, &fake, &[]).code, 0);
    for hint in [None, Some(USER_UPN)] {
        let mut cmd = sb.delegated_cmd(&fake, "refresh");
        cmd.args(["-s", "Mail.Read"]);
        if let Some(h) = hint {
            cmd.args(["--login-hint", h]);
        }
        let r = run(&mut cmd);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(jwt_claims(r.stdout.trim())["scp"], "Mail.Read");
    }
    let r = run(sb
        .delegated_cmd(&fake, "refresh")
        .args(["--login-hint", "someone.else@contoso.com"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn cache_list_shows_entries_but_never_tokens_and_clear_removes_them() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let app = run(&mut sb.client_credentials(&fake));
    let delegated = device_sign_in(&sb, &fake, &["-o", "json"]);
    assert_eq!(delegated.code, 0);
    let d = json(&delegated);

    let list = run(sb.cmd().args(["cache", "list"]));
    assert_eq!(list.code, 0, "{}", list.stderr);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", list.stdout);
    assert!(lines[0].starts_with("KIND"));
    assert!(
        list.stdout.contains("app ")
            && list.stdout.contains("delegated")
            && list.stdout.contains("refresh")
    );
    assert!(
        list.stdout.contains(USER_UPN)
            && list.stdout.contains(CLIENT_ID)
            && list.stdout.contains(PUBLIC_CLIENT_ID)
    );
    for secret in [
        app.stdout.trim(),
        d["access_token"].as_str().unwrap(),
        d["refresh_token"].as_str().unwrap(),
        d["id_token"].as_str().unwrap(),
        CLIENT_SECRET,
    ] {
        assert!(!list.stdout.contains(secret) && !list.stderr.contains(secret));
    }
    let list = run(sb.cmd().args(["cache", "list", "--json"]));
    let kinds: Vec<String> = list
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(kinds.len(), 3);

    let r = run(sb
        .cmd()
        .args(["cache", "clear", "--client-id", PUBLIC_CLIENT_ID]));
    assert_eq!(r.code, 0);
    assert!(
        r.stderr
            .starts_with("entra-token: removed 2 cache entries from "),
        "{}",
        r.stderr
    );
    assert_eq!(
        run(sb.cmd().args(["cache", "list", "--json"]))
            .stdout
            .lines()
            .count(),
        1
    );
    let r = run(sb.cmd().args(["cache", "clear"]));
    assert!(
        r.stderr
            .starts_with("entra-token: removed 1 cache entry from "),
        "{}",
        r.stderr
    );
    assert!(entries(&sb).is_empty());
    assert_eq!(r.stdout, "");
}

#[test]
fn an_expiring_delegated_token_is_refreshed_silently_with_the_default_margin() {
    let fake = FakeEntra::start();
    fake.set_token_lifetime(200); // under the 5-minute margin from the start
    let sb = Sandbox::new();
    assert_eq!(device_sign_in(&sb, &fake, &[]).code, 0);
    let r = Live::spawn(&mut sb.delegated(&fake, "device-code")).finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "", "no prompt: the cached refresh token was used");
    assert_eq!(count(&fake, "/devicecode", None), 1);
    assert_eq!(count(&fake, "/token", Some("refresh_token")), 1);
}
