//! Everyday use: decode, completions, man pages, CI output forms.

use crate::support::*;

fn token_from(fake: &FakeEntra, sb: &Sandbox) -> String {
    let r = run(sb.client_credentials(fake).arg("--no-cache"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout.trim().to_owned()
}

#[test]
fn decode_shows_header_payload_summary_and_says_the_signature_is_not_verified() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let token = token_from(&fake, &sb);
    let expires = regex::Regex::new(
        r"\n  expires     \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(expires in 59m( \d+s)?\)\n",
    )
    .unwrap();
    for cmd in [
        sb.cmd().args(["decode", &token]).output().unwrap(),
        sb.cmd()
            .args(["decode", "-"])
            .write_stdin(format!("{token}\n"))
            .output()
            .unwrap(),
        sb.cmd()
            .arg("decode")
            .write_stdin(format!("Authorization: Bearer {token}"))
            .output()
            .unwrap(),
    ] {
        assert!(
            cmd.status.success(),
            "{}",
            String::from_utf8_lossy(&cmd.stderr)
        );
        assert!(cmd.stderr.is_empty());
        let out = String::from_utf8(cmd.stdout).unwrap();
        assert!(
            out.starts_with("Header\n{\n  \"typ\": \"JWT\",\n  \"alg\": \"RS256\""),
            "{out}"
        );
        assert!(
            out.contains("\n\nPayload\n{\n  \"aud\": \"https://graph.microsoft.com\","),
            "{out}"
        );
        assert!(
            out.contains("\n  audience    https://graph.microsoft.com\n"),
            "{out}"
        );
        assert!(
            out.contains(&format!("\n  tenant      {TENANT_ID}\n")),
            "{out}"
        );
        assert!(
            out.contains(&format!("\n  app         {CLIENT_ID}\n")),
            "{out}"
        );
        assert!(out.contains("\n  roles       User.Read.All\n"), "{out}");
        assert!(expires.is_match(&out), "{out}");
        assert!(out.ends_with("The signature was NOT verified: this shows what the token says, not that it is genuine.\n"));
    }
    assert_eq!(fake.requests().len(), 1, "decode makes no request");
}

#[test]
fn decode_claim_prints_one_claim_raw_and_json_prints_everything() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let token = token_from(&fake, &sb);
    let claim = |name: &str| run(sb.cmd().args(["decode", "--claim", name, &token]));
    assert_eq!(claim("aud").stdout, "https://graph.microsoft.com\n");
    assert_eq!(claim("roles").stdout, "[\"User.Read.All\"]\n");
    let exp = claim("exp").stdout;
    assert!(exp.trim().parse::<u64>().is_ok(), "{exp}");
    let r = claim("nope");
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
    assert_eq!(
        r.stderr,
        "entra-token: error: the token has no claim 'nope'\n"
    );

    let r = run(sb.cmd().args(["decode", "-o", "json", &token]));
    assert_eq!(r.code, 0);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["header"]["alg"], "RS256");
    assert_eq!(v["payload"]["tid"], TENANT_ID);
    assert_eq!(v["summary"]["audience"], "https://graph.microsoft.com");
    assert_eq!(v["signature_verified"], false);
}

#[test]
fn decode_of_garbage_is_exit_1_with_a_clear_message() {
    let sb = Sandbox::new();
    for (input, message) in [
        (
            "hello",
            "not a JWT: expected three base64url parts separated by dots",
        ),
        ("a.b.c", "the token's header is not base64url"),
        ("e30.!!!.c2ln", "the token's payload is not base64url"),
        ("a.b.c.d.e", "encrypted token (JWE)"),
    ] {
        let r = run(sb.cmd().arg("decode").write_stdin(input));
        assert_eq!(r.code, 1, "{input}");
        assert_eq!(r.stdout, "");
        assert!(r.stderr.contains(message), "{input}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1);
    }
}

#[test]
fn decode_reports_an_expired_token() {
    use base64::Engine;
    let sb = Sandbox::new();
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"none"}"#),
        b64(&format!(r#"{{"exp":{}}}"#, now - 3 * 3600 - 100))
    );
    let r = run(sb.cmd().args(["decode", &token]));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("(expired 3h 1m ago)"), "{}", r.stdout);
}

#[test]
fn completions_for_every_shell() {
    let sb = Sandbox::new();
    for (shell, marker) in [
        ("bash", "_entra__token()"),
        ("zsh", "#compdef entra-token"),
        ("fish", "complete -c entra-token"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[entra-token]"),
    ] {
        let r = run(sb.cmd().args(["completions", shell]));
        assert_eq!(r.code, 0, "{shell}");
        assert!(r.stdout.contains(marker), "{shell}");
        assert!(
            r.stdout.contains("client-credentials") && r.stdout.contains("client-secret-file"),
            "{shell}"
        );
    }
    assert_eq!(run(sb.cmd().args(["completions", "tcsh"])).code, 2);
}

#[test]
fn man_pages_are_generated_for_every_command() {
    let sb = Sandbox::new();
    let r = run(sb.cmd().arg("man"));
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains(".TH entra-token 1"),
        "{}",
        &r.stdout[..200]
    );
    let dir = sb.path().join("man");
    let r = run(sb.cmd().arg("man").arg("--dir").arg(&dir));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "entra-token-admin-consent.1",
            "entra-token-auth-code.1",
            "entra-token-cache-clear.1",
            "entra-token-cache-list.1",
            "entra-token-cache.1",
            "entra-token-cert-assertion.1",
            "entra-token-client-credentials.1",
            "entra-token-completions.1",
            "entra-token-decode.1",
            "entra-token-device-code.1",
            "entra-token-man.1",
            "entra-token-managed-identity.1",
            "entra-token-refresh.1",
            "entra-token.1",
        ]
    );
    let cc = std::fs::read_to_string(dir.join("entra-token-client-credentials.1")).unwrap();
    assert!(cc.contains(".TH entra-token-client-credentials 1"), "{cc}");
    // EXAMPLES is a section of its own, not filled or justified; no EXTRA section.
    assert!(cc.contains("\n.SH EXAMPLES\n.nf\n"), "{cc}");
    assert!(
        cc.contains("\n.SH \"EXIT STATUS\"\n.nf\n") || cc.contains("\n.SH EXIT STATUS\n.nf\n"),
        "{cc}"
    );
    assert!(!cc.contains("EXTRA"), "{cc}");
    assert!(
        cc.contains("hdr=$(entra\\-token client\\-credentials \\-o header)\n"),
        "{cc}"
    );
    // Every page referred to exists.
    let re = regex::Regex::new(
        r"(entra\\-token(?:\\-[a-z]+)+)\\fR\(1\)|(entra\\-token(?:\\-[a-z]+)+)\(1\)",
    )
    .unwrap();
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        for c in re.captures_iter(&text) {
            let name = c.get(1).or(c.get(2)).unwrap().as_str().replace("\\-", "-");
            assert!(
                pages.contains(&format!("{name}.1")),
                "{page} refers to {name}(1), which is not generated"
            );
        }
    }
}

#[test]
fn az_json_output_matches_az_account_get_access_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .args(["-o", "az-json", "-t", TENANT_DOMAIN]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "accessToken",
            "expiresOn",
            "expires_on",
            "tenant",
            "tokenType"
        ]
    );
    assert_eq!(v["tenant"], TENANT_ID, "the token's tid, as az prints it");
    assert_eq!(v["tokenType"], "Bearer");
    let on = v["expires_on"].as_u64().unwrap();
    assert!(
        regex::Regex::new(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.000000$")
            .unwrap()
            .is_match(v["expiresOn"].as_str().unwrap())
    );
    assert_eq!(
        jwt_claims(v["accessToken"].as_str().unwrap())["exp"]
            .as_u64()
            .unwrap(),
        on
    );
}

#[test]
fn github_env_masks_the_token_and_hands_it_to_later_steps() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let env_file = sb.write("github_env", b"EXISTING=1\n");
    let r = run(sb
        .client_credentials(&fake)
        .args(["-o", "github-env", "--env-name", "GRAPH_TOKEN"])
        .env("GITHUB_ENV", &env_file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = r
        .stdout
        .strip_prefix("::add-mask::")
        .expect("a mask command")
        .trim_end();
    assert_eq!(r.stdout.lines().count(), 1);
    assert_eq!(
        std::fs::read_to_string(&env_file).unwrap(),
        format!("EXISTING=1\nGRAPH_TOKEN={token}\n")
    );
    assert_eq!(jwt_claims(token)["tid"], TENANT_ID);

    let r = run(sb.client_credentials(&fake).args(["-o", "github-env"]));
    assert_eq!(r.code, 2, "no GITHUB_ENV outside Actions");
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("-o github-env needs GITHUB_ENV"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_closed_stdout_pipe_is_not_an_error() {
    let sb = Sandbox::new();
    let mut child = sb
        .std_cmd()
        .args(["completions", "bash"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
