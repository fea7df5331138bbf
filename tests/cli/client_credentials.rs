//! `client-credentials` with a client secret: success paths, output forms, refusals.

use crate::support::*;

#[test]
fn secret_from_env_prints_only_the_token_and_sends_the_exact_v2_form() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let token = r.stdout.strip_suffix('\n').expect("one trailing newline");
    assert!(!token.contains(char::is_whitespace));
    let claims = jwt_claims(token);
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["tid"], TENANT_ID);

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, format!("/{TENANT_ID}/oauth2/v2.0/token"));
    let fields: Vec<(&str, &str)> = req
        .form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_secret", CLIENT_SECRET),
        ]
    );
    assert_eq!(req.headers["return-client-request-id"], "true");
    assert!(req.headers["user-agent"].starts_with("entra-token/"));
    assert!(uuid::Uuid::parse_str(&req.headers["client-request-id"]).is_ok());
}

#[test]
fn flags_override_the_environment_and_domains_work_as_tenants() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .cmd()
        .args([
            "client-credentials",
            "-t",
            "Contoso.onmicrosoft.com",
            "-c",
            CLIENT_ID,
        ])
        .args([
            "--authority-host",
            &fake.url(),
            "-s",
            "api://orders/.default",
        ])
        .env("AZURE_TENANT_ID", "ignored.example")
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = &fake.requests()[0];
    assert_eq!(req.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
    assert_eq!(req.field("scope"), Some("api://orders/.default"));
    assert_eq!(jwt_claims(r.stdout.trim())["aud"], "api://orders");
}

#[test]
fn secret_file_drops_one_trailing_crlf() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let file = sb.write("secret", format!("{CLIENT_SECRET}\r\n").as_bytes());
    let r = run(sb
        .client_credentials(&fake)
        .env_remove("AZURE_CLIENT_SECRET")
        .arg("--client-secret-file")
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        fake.requests()[0].field("client_secret"),
        Some(CLIENT_SECRET)
    );
}

#[test]
fn secret_from_stdin_with_dash() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .env_remove("AZURE_CLIENT_SECRET")
        .args(["--client-secret-file", "-"])
        .write_stdin(format!("{CLIENT_SECRET}\n")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        fake.requests()[0].field("client_secret"),
        Some(CLIENT_SECRET)
    );
}

#[test]
fn there_is_no_option_that_takes_a_secret_value() {
    let sb = Sandbox::new();
    for flag in ["--client-secret", "--secret", "--password"] {
        let r = run(sb.cmd().args(["client-credentials", flag, "hunter2"]));
        assert_eq!(r.code, 2, "{flag}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
}

#[test]
fn v1_resource_uses_the_v1_endpoint_and_json_numbers_are_numbers() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb.client_credentials(&fake).args([
        "--resource",
        "https://management.azure.com/",
        "-o",
        "json",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let req = &fake.requests()[0];
    assert_eq!(req.path, format!("/{TENANT_ID}/oauth2/token"));
    assert_eq!(req.field("resource"), Some("https://management.azure.com/"));
    assert_eq!(req.field("scope"), None);

    assert!(r.stdout.ends_with("}\n") && r.stdout.lines().count() == 1);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 3599);
    assert_eq!(json["ext_expires_in"], 3599);
    assert_eq!(json["resource"], "https://management.azure.com/");
    let expires_on = json["expires_on"].as_u64().expect("expires_on is a number");
    let exp = jwt_claims(json["access_token"].as_str().unwrap())["exp"]
        .as_u64()
        .unwrap();
    assert_eq!(expires_on, exp, "the server's expires_on is kept");
    let order = [
        "token_type",
        "access_token",
        "expires_in",
        "expires_on",
        "ext_expires_in",
        "resource",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| r.stdout.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(
        positions.is_sorted(),
        "keys in the documented order: {}",
        r.stdout
    );
    assert_eq!(json.as_object().unwrap().len(), order.len());
}

#[test]
fn v2_json_has_computed_expires_on() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = run(sb.client_credentials(&fake).args(["-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let on = json["expires_on"].as_u64().unwrap();
    assert!(on >= before + 3599 && on <= before + 3599 + 60, "{on}");
    assert!(json.get("resource").is_none() && json.get("refresh_token").is_none());
}

#[test]
fn bearer_and_header_forms() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .args(["-o", "bearer", "--no-cache"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("Bearer ey") && r.stdout.ends_with('\n'));
    assert_eq!(r.stdout.lines().count(), 1);
    let r = run(sb
        .client_credentials(&fake)
        .args(["--output", "header", "--no-cache"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("Authorization: Bearer ey"));
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn claims_challenge_is_passed_through_and_base64_is_decoded() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let claims = r#"{"access_token":{"xms_cc":{"values":["cp1"]}}}"#;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(claims);
    for given in [claims.to_owned(), b64] {
        let r = run(sb
            .client_credentials(&fake)
            .args(["--claims", &given, "--no-cache"]));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let reqs = fake.requests();
    assert!(reqs.iter().all(|r| r.field("claims") == Some(claims)));
    let r = run(sb.client_credentials(&fake).args(["--claims", "nope"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--claims takes a JSON object"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn bad_secret_is_exit_3_with_evidence_and_hint_and_never_the_secret() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .env("AZURE_CLIENT_SECRET", "wrong-secret-value"));
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout, "");
    assert_eq!(
        normalize(&r.stderr),
        format!(
            "entra-token: error: Entra refused the client credentials\n  AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{CLIENT_ID}'.\n  error invalid_client  HTTP 401\n  trace id <uuid>  correlation id <uuid>  client-request-id <uuid>\nhint: the client secret is wrong: use the secret's Value (not its Secret ID) from Certificates & secrets of the app registration, in AZURE_CLIENT_SECRET or --client-secret-file\n      (see TROUBLESHOOTING.md)\n"
        )
        .replace(CLIENT_ID, "<uuid>")
    );
    assert!(!r.stderr.contains("wrong-secret-value"));
    assert_eq!(fake.requests().len(), 1, "4xx is never retried");
    let crid = &fake.requests()[0].headers["client-request-id"];
    assert!(r.stderr.contains(&format!("client-request-id {crid}")));
}

#[test]
fn unknown_tenant_is_exit_3_with_aadsts90002() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .args(["-t", "fabrikam.example"]));
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .contains("AADSTS90002: Tenant 'fabrikam.example' not found."),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("hint: the tenant does not exist in this cloud"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_app_is_exit_3_with_aadsts700016() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .args(["-c", "11111111-2222-3333-4444-555555555555"]));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("AADSTS700016"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("hint: the application was not found in this tenant")
    );
}

#[test]
fn a_non_default_scope_is_refused_by_entra_with_a_hint() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb.client_credentials(&fake).args(["-s", "User.Read"]));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("AADSTS1002012"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("hint: client credentials need a scope ending in /.default")
    );
}

#[test]
fn multi_tenant_aliases_are_refused_before_any_request() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for alias in ["common", "organizations", "consumers"] {
        let r = run(sb.client_credentials(&fake).args(["--tenant", alias]));
        assert_eq!(r.code, 2, "{alias}");
        assert_eq!(r.stdout, "");
        assert_eq!(
            r.stderr,
            format!(
                "entra-token: error: client-credentials needs a real tenant, and '{alias}' names none: pass --tenant (or AZURE_TENANT_ID) with the directory's GUID or a verified domain\n"
            )
        );
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn missing_tenant_client_or_secret_say_how_to_fix_it() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let cases = [
        (
            "AZURE_TENANT_ID",
            "no tenant: pass --tenant or set AZURE_TENANT_ID",
        ),
        (
            "AZURE_CLIENT_ID",
            "no client ID: pass --client-id or set AZURE_CLIENT_ID",
        ),
        (
            "AZURE_CLIENT_SECRET",
            "client-credentials needs a credential: set AZURE_CLIENT_SECRET or pass --client-secret-file",
        ),
    ];
    for (var, message) in cases {
        let r = run(sb.client_credentials(&fake).env_remove(var));
        assert_eq!(r.code, 2, "{var}");
        assert!(
            r.stderr
                .starts_with(&format!("entra-token: error: {message}")),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1);
        assert_eq!(r.stdout, "");
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn unreadable_secret_file_is_exit_1_and_empty_secret_exit_2() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .args(["--client-secret-file", "/nonexistent/secret"]));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with(
            "entra-token: error: cannot read --client-secret-file /nonexistent/secret:"
        ),
        "{}",
        r.stderr
    );
    let empty = sb.write("empty", b"\n");
    let r = run(sb
        .client_credentials(&fake)
        .arg("--client-secret-file")
        .arg(&empty));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is empty"), "{}", r.stderr);
    assert!(fake.requests().is_empty());
}

#[test]
fn scope_and_resource_conflict_and_cloud_conflicts_with_authority_host() {
    let sb = Sandbox::new();
    let r = run(sb
        .cmd()
        .args(["client-credentials", "-s", "a/.default", "-r", "https://b"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    let r = run(sb.cmd().args([
        "client-credentials",
        "--cloud",
        "usgov",
        "--authority-host",
        "x.example",
    ]));
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
}

#[test]
fn verbose_output_redacts_secret_and_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb.client_credentials(&fake).arg("-v"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = r.stdout.trim();
    let encoded_secret: String =
        form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect();
    for leak in [
        token,
        CLIENT_SECRET,
        encoded_secret.as_str(),
        &token[..20],
        &token[token.len() - 20..],
    ] {
        assert!(
            !r.stderr.contains(leak),
            "-v leaked {leak:?}:\n{}",
            r.stderr
        );
    }
    let shown = normalize(&r.stderr);
    assert!(
        shown.contains("> POST http://127.0.0.1:<port>/<uuid>/oauth2/v2.0/token\n"),
        "{shown}"
    );
    assert!(shown.contains("&client_secret=<redacted>\n"), "{shown}");
    assert!(shown.contains("< HTTP 200 (<n> ms, "), "{shown}");
    assert!(shown.contains(r#""access_token":"<redacted>""#), "{shown}");
    assert!(shown.contains("< client-request-id: <uuid>"), "{shown}");
}

#[test]
fn verbose_refusal_shows_the_error_body() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .arg("-v")
        .env("AZURE_CLIENT_SECRET", "nope-nope"));
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains(r#""error":"invalid_client""#),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("nope-nope"));
}
