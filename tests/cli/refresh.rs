//! `refresh`: rotation saved atomically with mode 0600, stdin, invalid_grant.

use crate::support::*;

const GRAPH: &str = "https://graph.microsoft.com/.default openid profile offline_access";

fn refresh(sb: &Sandbox, fake: &FakeEntra) -> assert_cmd::Command {
    sb.delegated_cmd(fake, "refresh")
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_rotated_refresh_token_replaces_the_old_one_in_the_file() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let old = fake.issue_refresh_token(PUBLIC_CLIENT_ID, GRAPH, true);
    let file = sb.write("app.rt", format!("{old}\n").as_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let r = run(refresh(&sb, &fake).arg("--refresh-token-file").arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    assert!(r.stdout.starts_with("ey"));
    let new = std::fs::read_to_string(&file).unwrap();
    let new = new.trim();
    assert_ne!(new, old);
    assert!(fake.refresh_token_valid(new));
    assert!(
        !fake.refresh_token_valid(&old),
        "the fake revoked the old one"
    );
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let req = &fake.requests()[0];
    assert_eq!(req.field("grant_type"), Some("refresh_token"));
    assert_eq!(req.field("refresh_token"), Some(old.as_str()));
    assert_eq!(req.field("scope"), Some(GRAPH));
    let leftovers: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".entra-token"))
        .collect();
    assert!(leftovers.is_empty(), "no temp files left behind");

    // And again, with the saved token: scripts keep getting tokens.
    let r = run(refresh(&sb, &fake).arg("--refresh-token-file").arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn no_save_leaves_the_file_alone() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let old = fake.issue_refresh_token(PUBLIC_CLIENT_ID, GRAPH, true);
    let file = sb.write("app.rt", old.as_bytes());
    let r = run(refresh(&sb, &fake)
        .arg("--refresh-token-file")
        .arg(&file)
        .arg("--no-save"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
}

#[test]
fn from_stdin_json_output_carries_the_new_refresh_and_id_tokens() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let old = fake.issue_refresh_token(PUBLIC_CLIENT_ID, GRAPH, true);
    let r = run(refresh(&sb, &fake)
        .args(["--refresh-token-file", "-", "-o", "json"])
        .write_stdin(format!("{old}\n")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(fake.refresh_token_valid(json["refresh_token"].as_str().unwrap()));
    assert!(json["id_token"].is_string());
    let r = run(refresh(&sb, &fake)
        .args(["--refresh-token-file", "-"])
        .write_stdin(json["refresh_token"].as_str().unwrap().to_owned()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "entra-token: warning: Entra issued a new refresh token; it was read from stdin, so it was not saved (use -o json to capture it)\n"
    );
}

#[test]
fn v1_refresh_sends_the_resource() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let old = fake.issue_refresh_token(PUBLIC_CLIENT_ID, "https://management.azure.com/", false);
    let file = sb.write("app.rt", old.as_bytes());
    let r = run(refresh(&sb, &fake)
        .arg("--refresh-token-file")
        .arg(&file)
        .args(["-r", "https://management.azure.com/", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = &fake.requests()[0];
    assert_eq!(req.path, format!("/{TENANT_ID}/oauth2/token"));
    assert_eq!(req.field("resource"), Some("https://management.azure.com/"));
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["expires_in"], 3599);
}

#[test]
fn a_revoked_refresh_token_says_sign_in_again() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let old = fake.issue_refresh_token(PUBLIC_CLIENT_ID, GRAPH, true);
    let file = sb.write("app.rt", old.as_bytes());
    assert_eq!(
        run(refresh(&sb, &fake)
            .arg("--refresh-token-file")
            .arg(&file)
            .arg("--no-save"))
        .code,
        0
    );
    // --force-refresh: past the access token the first run cached for this file.
    let r = run(refresh(&sb, &fake)
        .arg("--refresh-token-file")
        .arg(&file)
        .arg("--force-refresh"));
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("AADSTS50173"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("sign in again with `entra-token device-code` or `entra-token auth-code`"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(&old));
}

#[test]
fn missing_or_empty_refresh_token_files() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(refresh(&sb, &fake).args(["--refresh-token-file", "/nonexistent/rt"]));
    assert_eq!(r.code, 1);
    let empty = sb.write("empty", b"\n");
    let r = run(refresh(&sb, &fake).arg("--refresh-token-file").arg(&empty));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is empty"), "{}", r.stderr);
    let r = run(&mut refresh(&sb, &fake));
    assert_eq!(r.code, 2, "--refresh-token-file is required");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_refresh_token_file_reuses_its_own_cached_access_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let rt = fake.issue_refresh_token(PUBLIC_CLIENT_ID, GRAPH, true);
    let file = sb.write("app.rt", format!("{rt}\n").as_bytes());
    let first = run(refresh(&sb, &fake).arg("--refresh-token-file").arg(&file));
    assert_eq!(first.code, 0, "{}", first.stderr);
    let saved = std::fs::read_to_string(&file).unwrap();
    let again = run(refresh(&sb, &fake)
        .args(["-v", "--refresh-token-file"])
        .arg(&file));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.stdout, first.stdout,
        "the same access token, from the cache"
    );
    assert!(
        again.stderr.contains("* token from the cache in "),
        "{}",
        again.stderr
    );
    assert_eq!(fake.issued(), 1, "no second round trip, no second rotation");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), saved);
    // Another file (another sign-in) never gets this file's token.
    let other = fake.issue_refresh_token(PUBLIC_CLIENT_ID, GRAPH, true);
    let other_file = sb.write("other.rt", format!("{other}\n").as_bytes());
    let r = run(refresh(&sb, &fake)
        .arg("--refresh-token-file")
        .arg(&other_file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.issued(), 2);
}

#[test]
fn sign_in_once_with_device_code_then_keep_refreshing() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = device_sign_in(&sb, &fake, &["-o", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let file = sb.write("app.rt", json["refresh_token"].as_str().unwrap().as_bytes());
    for _ in 0..3 {
        let r = run(refresh(&sb, &fake).arg("--refresh-token-file").arg(&file));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(jwt_claims(r.stdout.trim())["upn"], USER_UPN);
    }
}
