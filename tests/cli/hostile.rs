//! SPEC §9, hostile input: a misbehaving server, files that are not files, planted cache
//! entries, a proxy in the environment. Nothing panics, hangs, injects or leaks.

use crate::support::*;

fn raw(status: u16, body: &str) -> Fault {
    Fault::Raw {
        status,
        content_type: "application/json; charset=utf-8",
        body: body.to_owned(),
    }
}

fn no_raw_controls(text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}', '\u{9b}', '\r']),
        "raw control characters reached the terminal: {text:?}"
    );
}

/// Runs with `/dev/zero` as stdin (assert_cmd's pipe_stdin would read it all first);
/// a run that has not ended after 20 s fails the test.
#[cfg(unix)]
fn run_from_dev_zero(cmd: &mut std::process::Command) -> Run {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::from(std::fs::File::open("/dev/zero").unwrap()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still reading /dev/zero after 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// Gets a token (so the cache holds one entry) and returns that entry's path.
#[cfg(unix)]
fn cached_entry(sb: &Sandbox, fake: &FakeEntra) -> std::path::PathBuf {
    let r = run(&mut sb.client_credentials(fake));
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::read_dir(sb.cache_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap()
}

#[cfg(unix)]
fn mkfifo(path: &std::path::Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn device_code_numbers_near_2_64_neither_abort_nor_wait_for_ever() {
    let fake = FakeEntra::start();
    fake.push_device_fault(raw(
        200,
        r#"{"device_code":"DC","user_code":"U\u001b[2J","verification_uri":"https://microsoft.com/devicelogin","expires_in":"18446744073709551615","interval":18446744073709551615,"message":"To sign in, open the page \u001b]0;pwned\u0007 and enter the code ABC"}"#,
    ));
    let sb = Sandbox::new();
    let mut live = Live::spawn(&mut sb.delegated(&fake, "device-code"));
    let waiting = live.wait_for(|l| l.starts_with("Waiting for sign-in"));
    assert_eq!(
        waiting, "Waiting for sign-in (the code expires in 1d)...",
        "expires_in is clamped to a day"
    );
    live.interrupt();
    let r = live.finish();
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    no_raw_controls(&r.stderr);
    assert!(
        r.stderr.starts_with(
            "To sign in, open the page \\u{1b}]0;pwned\\u{7} and enter the code ABC\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn a_token_with_a_line_break_is_refused_before_any_output() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let github_env = sb.path().join("github_env");
    for form in ["header", "github-env"] {
        fake.push_fault(raw(
            200,
            r#"{"token_type":"Bearer","access_token":"eyJ0eXAi.e30.sig\nEVIL=1","expires_in":3599}"#,
        ));
        let r = run(sb
            .client_credentials(&fake)
            .args(["--no-cache", "-o", form])
            .env("GITHUB_ENV", &github_env));
        assert_eq!(r.code, 4, "{form}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        assert!(
            r.stderr.starts_with("entra-token: error: the token endpoint answered with a malformed access_token (whitespace or control characters); refused\n"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("EVIL"));
    }
    assert!(!github_env.exists(), "nothing was appended to $GITHUB_ENV");
}

#[test]
fn server_text_with_escape_sequences_is_shown_inert() {
    let fake = FakeEntra::start();
    fake.push_fault(raw(
        401,
        r#"{"error":"invalid_client\u001b[31m","error_description":"AADSTS7000215: Invalid \u001b]0;pwned\u0007 secret.\r\nTrace ID: t","error_codes":[7000215],"trace_id":"t\u001b[2J","correlation_id":"c\u009b1m"}"#,
    ));
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 3, "{}", r.stderr);
    no_raw_controls(&r.stderr);
    assert!(
        r.stderr
            .contains("  AADSTS7000215: Invalid \\u{1b}]0;pwned\\u{7} secret.\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("  error invalid_client\\u{1b}[31m  HTTP 401\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("trace id t\\u{1b}[2J  correlation id c\\u{9b}1m"),
        "{}",
        r.stderr
    );
}

#[test]
fn decoded_claims_cannot_drive_the_terminal() {
    use base64::Engine;
    let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let token = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(r#"{"aud":"a\u001b]0;pwned\u0007","upn":"x\u009b31m","exp":1}"#)
    );
    let sb = Sandbox::new();
    let r = run(sb.cmd().args(["decode", &token]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    no_raw_controls(&r.stdout);
    assert!(
        r.stdout.contains("  audience    a\\u{1b}]0;pwned\\u{7}\n"),
        "{}",
        r.stdout
    );
    let r = run(sb.cmd().args(["decode", "--claim", "upn", &token]));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "x\\u{9b}31m\n");
}

#[cfg(unix)]
#[test]
fn devices_fifos_and_huge_files_are_refused_without_hanging() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let fifo = sb.path().join("fifo");
    mkfifo(&fifo);
    let huge = sb.write("huge", &vec![b'a'; 2 * 1024 * 1024]);
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--client-secret-file".into(), "/dev/zero".into()],
            "cannot read --client-secret-file /dev/zero: not a regular file (a device)".into(),
        ),
        (
            vec!["--client-secret-file".into(), fifo.display().to_string()],
            format!(
                "cannot read --client-secret-file {}: not a regular file (a FIFO)",
                fifo.display()
            ),
        ),
        (
            vec!["--client-secret-file".into(), huge.display().to_string()],
            format!(
                "cannot read --client-secret-file {}: larger than 1 MiB; refused",
                huge.display()
            ),
        ),
        (
            vec!["--certificate".into(), fifo.display().to_string()],
            format!(
                "cannot read the certificate {}: not a regular file (a FIFO)",
                fifo.display()
            ),
        ),
        (
            vec!["--federated-token-file".into(), "/dev/zero".into()],
            "cannot read the federated token file /dev/zero: not a regular file (a device)".into(),
        ),
        (
            vec!["--ca-file".into(), fifo.display().to_string()],
            format!(
                "cannot read --ca-file {}: not a regular file (a FIFO)",
                fifo.display()
            ),
        ),
    ];
    for (args, message) in cases {
        let r = run(sb
            .client_credentials(&fake)
            .args(&args)
            .timeout(std::time::Duration::from_secs(20)));
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            format!("entra-token: error: {message}\n"),
            "{args:?}"
        );
    }
    assert!(fake.requests().is_empty());

    let r = run_from_dev_zero(sb.std_cmd().args(["decode", "-"]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "entra-token: error: cannot read the token from stdin: larger than 1 MiB; refused\n"
    );
}

#[cfg(unix)]
#[test]
fn a_pasted_address_from_dev_zero_is_refused() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run_from_dev_zero(sb.delegated(&fake, "auth-code").args([
        "--no-browser",
        "--redirect-uri",
        "https://login.microsoftonline.com/common/oauth2/nativeclient",
    ]));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.ends_with(
            "entra-token: error: the pasted input is longer than 1024 KiB without a line end; refused\n"
        ),
        "{}",
        r.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_planted_as_a_cache_entry_is_ignored_not_waited_on() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let entry = cached_entry(&sb, &fake);
    std::fs::remove_file(&entry).unwrap();
    mkfifo(&entry);
    let r = run(sb
        .client_credentials(&fake)
        .timeout(std::time::Duration::from_secs(20)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "entra-token: warning: ignoring unreadable cache entry {}: not a regular file (a FIFO)",
            entry.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(fake.issued(), 2);
    let r = run(sb
        .cmd()
        .args(["cache", "list"])
        .timeout(std::time::Duration::from_secs(20)));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_planted_as_a_cache_entry_is_not_followed() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let entry = cached_entry(&sb, &fake);
    let elsewhere = sb.write("elsewhere.json", &std::fs::read(&entry).unwrap());
    std::fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &entry).unwrap();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("a symbolic link (not followed)"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.issued(), 2, "the planted entry was not served");
}

#[cfg(unix)]
#[test]
fn a_cache_directory_owned_by_another_user_is_not_used() {
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::new();
    let me = std::fs::metadata(sb.path()).unwrap().uid();
    if me != 0 {
        // Only root can give a directory away; CI runs as root.
        eprintln!("skipped: needs root to chown a directory to another user");
        return;
    }
    let fake = FakeEntra::start();
    let theirs = sb.path().join("theirs");
    std::fs::create_dir(&theirs).unwrap();
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let r = run(sb
        .client_credentials(&fake)
        .env("ENTRA_TOKEN_CACHE_DIR", &theirs));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "entra-token: warning: not using the token cache at {}: it is owned by another user (uid 65534); going on without it\n",
            theirs.display()
        )
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 0);
}

#[test]
fn the_largest_min_validity_is_no_overflow() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for _ in 0..2 {
        let r = run(sb
            .client_credentials(&fake)
            .args(["--min-validity", "18446744073709551615"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(fake.issued(), 2, "no cached token lives that long");
}

#[test]
fn a_429_that_persists_is_exit_3_whatever_its_body() {
    let fake = FakeEntra::start();
    for _ in 0..3 {
        fake.push_fault(Fault::Raw {
            status: 429,
            content_type: "text/plain",
            body: "Too Many Requests".into(),
        });
    }
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(fake.requests().len(), 3);
    assert!(
        r.stderr.contains("hint: Entra is throttling this client"),
        "{}",
        r.stderr
    );
}

#[test]
fn verbose_may_be_repeated_and_vv_adds_whole_bodies_and_timings() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for args in [vec!["-vv"], vec!["-v", "-v"]] {
        let r = run(sb.client_credentials(&fake).arg("--no-cache").args(&args));
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let token = r.stdout.trim();
        assert!(!r.stderr.contains(token));
        assert!(!r.stderr.contains(CLIENT_SECRET));
        let shown = normalize(&r.stderr);
        assert!(
            shown.contains("* 1 attempt(s), <n> ms in this request"),
            "{shown}"
        );
        assert!(shown.contains(r#""access_token":"<redacted>""#), "{shown}");
    }
}

#[test]
fn verbose_redacts_tokens_nested_in_error_bodies() {
    let fake = FakeEntra::start();
    fake.push_fault(raw(
        400,
        r#"{"error":"invalid_request","error_description":"AADSTS90014: x","details":{"refresh_token":"RT-NESTED-SECRET","echo":"{\"access_token\":\"AT-STRINGIFIED\"}"}}"#,
    ));
    let sb = Sandbox::new();
    let r = run(sb.client_credentials(&fake).arg("-vv"));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(!r.stderr.contains("RT-NESTED-SECRET"), "{}", r.stderr);
    assert!(!r.stderr.contains("AT-STRINGIFIED"), "{}", r.stderr);
    assert!(
        r.stderr.contains(r#""refresh_token":"<redacted>""#),
        "{}",
        r.stderr
    );
}

#[test]
fn a_refresh_token_refused_with_any_invalid_grant_hints_at_signing_in_again() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    // Issued to another client: AADSTS70000, which has no entry of its own.
    let rt = fake.issue_refresh_token(CLIENT_ID, "https://graph.microsoft.com/.default", true);
    let file = sb.write("app.rt", rt.as_bytes());
    let r = run(sb
        .delegated_cmd(&fake, "refresh")
        .arg("--refresh-token-file")
        .arg(&file));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("AADSTS70000"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("hint: the refresh token or code is no longer valid: sign in again"),
        "{}",
        r.stderr
    );
    // Reusing a rotated-away token: AADSTS50173 names that cause.
    let rt = fake.issue_refresh_token(
        PUBLIC_CLIENT_ID,
        "https://graph.microsoft.com/.default",
        true,
    );
    let file = sb.write("app2.rt", rt.as_bytes());
    let copy = sb.write("copy.rt", rt.as_bytes());
    let r = run(sb
        .delegated_cmd(&fake, "refresh")
        .arg("--refresh-token-file")
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(sb
        .delegated_cmd(&fake, "refresh")
        .arg("--refresh-token-file")
        .arg(&copy));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("a rotated refresh token was reused"),
        "{}",
        r.stderr
    );
}
