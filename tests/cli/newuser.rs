//! What a new user hit, round 2: completion, messages, outputs, the cache's bookkeeping
//! and the example fake a person can use.

use crate::support::*;

#[test]
fn bash_completes_options_and_their_values_after_the_subcommand() {
    let sb = Sandbox::new();
    let script = run(sb.cmd().args(["completions", "bash"])).stdout;
    let path = sb.write("entra-token.bash", script.as_bytes());
    let complete = |words: &[&str]| -> Vec<String> {
        let cword = words.len() - 1;
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let prev = if cword > 0 { words[cword - 1] } else { "" };
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _entra__token entra-token '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            quoted.join(" "),
            words[cword]
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "-c", &program])
            .output()
            .expect("bash");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        complete(&["entra-token", "client-credentials", "--ou"]),
        ["--output"]
    );
    let forms = complete(&["entra-token", "client-credentials", "-o", ""]);
    for form in [
        "token",
        "header",
        "json",
        "github-env",
        "azure-pipelines",
        "exec-credential",
    ] {
        assert!(forms.contains(&form.to_owned()), "{forms:?}");
    }
    assert!(complete(&["entra-token", "mi", "--sou"]).contains(&"--source".to_owned()));
    assert!(complete(&["entra-token", "cli"]).contains(&"client-credentials".to_owned()));
    // The fish script keeps $GITHUB_ENV inside single quotes (fish does not expand there).
    let fish = run(sb.cmd().args(["completions", "fish"])).stdout;
    assert!(fish.contains(
        "'GitHub Actions: mask the token and append NAME=token to $GITHUB_ENV (--env-name)'"
    ));
}

#[test]
fn a_secret_on_the_command_line_is_refused_with_the_reason() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for args in [
        vec!["--client-secret", "hunter2"],
        vec!["--client-secret=hunter2"],
    ] {
        let r = run(sb.client_credentials(&fake).args(&args));
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert_eq!(
            r.stderr,
            "entra-token: error: --client-secret is refused: a secret on the command line shows in `ps` and in shell history; set AZURE_CLIENT_SECRET or pass --client-secret-file PATH ('-' reads stdin)\n"
        );
        assert!(!r.stderr.contains("hunter2"));
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn client_ids_are_guids_or_well_known_names() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let names = "azure-cli, azure-powershell, graph-powershell, exchange-online, exchange-management-shell, aks";
    let r = run(sb
        .cmd()
        .args(["device-code", "--authority-host", &fake.url()]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "entra-token: error: no client ID: pass --client-id (or set AZURE_CLIENT_ID) with the application (client) ID, or a well-known public client: {names}\n"
        )
    );
    let r = run(sb.client_credentials(&fake).args(["-c", "my-app"]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "entra-token: error: --client-id 'my-app' is neither an application (client) ID, which is a GUID, nor a well-known client: {names}\n"
        )
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn output_options_are_checked_before_any_request() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb.client_credentials(&fake).args(["--env-name", "TOKEN"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "entra-token: error: --env-name names the variable of -o github-env or -o azure-pipelines; it does nothing with -o token\n"
    );
    let r = run(sb.client_credentials(&fake).args(["-o", "github-env"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(sb
        .client_credentials(&fake)
        .args(["-o", "github-env", "--env-name", "GITHUB_TOKEN"])
        .env("GITHUB_ENV", sb.path().join("env")));
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(sb.cmd().args([
        "cert-assertion",
        "-t",
        TENANT_ID,
        "-c",
        CLIENT_ID,
        "--certificate",
        cert_fixture("app.pem").to_str().unwrap(),
        "--print-assertion",
        "-o",
        "json",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "entra-token: error: --print-assertion prints the signed assertion as it is; -o applies to tokens only\n"
    );
    assert!(
        fake.requests().is_empty(),
        "no token was spent on a mistake"
    );
}

#[cfg(unix)]
#[test]
fn github_env_is_created_when_it_is_not_there_yet() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let file = sb.path().join("github_env");
    let r = run(sb
        .client_credentials(&fake)
        .args(["-o", "github-env", "--env-name", "GRAPH"])
        .env("GITHUB_ENV", &file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("GRAPH=ey") && text.ends_with('\n'),
        "{text}"
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn the_default_scope_follows_the_cloud() {
    let sb = Sandbox::new();
    let mut live = Live::spawn(sb.std_cmd().args([
        "admin-consent",
        "-c",
        CLIENT_ID,
        "--cloud",
        "usgov",
        "--no-browser",
    ]));
    let url = live.wait_for(|l| l.starts_with("https://login.microsoftonline.us/"));
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("https://graph.microsoft.us/.default")
    );
    drop(live);
}

#[test]
fn a_cache_hit_says_where_it_came_from_and_short_lives_warn() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    assert_eq!(run(&mut sb.client_credentials(&fake)).code, 0);
    let r = run(sb.client_credentials(&fake).arg("-v"));
    assert_eq!(r.code, 0);
    let expected = format!("* token from the cache in {}, ", sb.cache_dir().display());
    assert!(r.stderr.starts_with(&expected), "{}", r.stderr);
    assert!(r.stderr.trim_end().ends_with(" left"), "{}", r.stderr);

    fake.set_token_lifetime(120);
    let r = run(sb
        .client_credentials(&fake)
        .args(["-s", "api://short/.default"]));
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stderr,
        "entra-token: warning: the token lives 2m, less than the minimum validity of 5m: the cache will never serve it\n"
    );
}

#[test]
fn cache_clear_by_domain_finds_entries_stored_under_the_directory_id() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for tenant in [TENANT_DOMAIN, TENANT_ID] {
        let r = run(sb.client_credentials(&fake).args(["-t", tenant]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let listed = run(sb.cmd().args(["cache", "list"])).stdout;
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(
        lines[0].starts_with("KIND") && lines[0].contains("AUTHORITY"),
        "{listed}"
    );
    let col = |l: &str| l.find("127.0.0.1").or_else(|| l.find("AUTHORITY")).unwrap();
    assert!(
        lines.iter().all(|l| col(l) == col(lines[0])),
        "aligned:\n{listed}"
    );
    let r = run(sb.cmd().args(["cache", "clear", "-t", TENANT_DOMAIN]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("entra-token: removed 2 cache entries"),
        "{}",
        r.stderr
    );
}

#[test]
fn decode_says_issued_just_now() {
    use base64::Engine;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let b64 = |v: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let token = format!(
        "{}.{}.sig",
        b64(r#"{"alg":"RS256"}"#.into()),
        b64(format!(r#"{{"iat":{now},"exp":{}}}"#, now + 3600))
    );
    let sb = Sandbox::new();
    let r = run(sb.cmd().args(["decode", &token]));
    assert!(r.stdout.contains("UTC (just now)\n"), "{}", r.stdout);
}

#[test]
fn transport_failures_say_what_to_check() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Html);
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 4);
    assert!(
        r.stderr.ends_with("hint: something other than Entra answered (a proxy or captive-portal sign-in page?); check HTTPS_PROXY/NO_PROXY and --authority-host\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_example_fake_serves_people_and_says_when_its_port_is_taken() {
    use std::io::BufRead;
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("fake-entra{}", std::env::consts::EXE_SUFFIX));
    let mut child = std::process::Command::new(&example)
        .arg("127.0.0.1:0")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the fake-entra example (plain `cargo test` builds it)");
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..14 {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        lines.push(l);
    }
    let url = lines[0]
        .trim()
        .strip_prefix("fake Entra listening on ")
        .unwrap()
        .to_owned();
    let text = lines.concat();
    assert!(text.contains(PUBLIC_CLIENT_ID), "{text}");
    assert!(text.contains("/devicelogin"), "{text}");
    let (status, _, page) = browse(&format!("{url}/devicelogin"));
    assert_eq!(status, 200);
    assert!(page.contains("<form method=\"post\">"), "{page}");
    // The authorize page asks the person before it redirects.
    let authorize = format!(
        "{url}/{TENANT_ID}/oauth2/v2.0/authorize?client_id={PUBLIC_CLIENT_ID}&response_type=code&redirect_uri=http%3A%2F%2Flocalhost%3A1234&scope=openid&state=0123456789abcdef&code_challenge={}&code_challenge_method=S256",
        "A".repeat(43)
    );
    let (status, _, page) = browse(&authorize);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("fake_action=approve\">Accept</a>"), "{page}");
    let (status, location, _) = browse(&format!("{authorize}&fake_action=approve"));
    assert_eq!(status, 302);
    assert!(location.unwrap().starts_with("http://localhost:1234?code="));
    // The same address again: a clear message, no panic.
    let port = url.rsplit(':').next().unwrap();
    let busy = std::process::Command::new(&example)
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(busy.status.code(), Some(1));
    let err = String::from_utf8_lossy(&busy.stderr);
    assert!(
        err.starts_with(&format!("fake-entra: cannot listen on 127.0.0.1:{port}: ")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
