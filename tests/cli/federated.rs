//! Federated credentials: a token file (AKS workload identity) and GitHub Actions OIDC.

use crate::support::*;

fn federated(sb: &Sandbox, fake: &FakeEntra) -> assert_cmd::Command {
    let mut c = sb.client_credentials(fake);
    c.env_remove("AZURE_CLIENT_SECRET").arg("--no-cache");
    c
}

#[test]
fn a_federated_token_file_is_sent_as_the_assertion_and_re_read_every_run() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let first = fake.mint_federated_token(AKS_ISSUER, AKS_SUBJECT, FEDERATED_AUDIENCE, 3600);
    let file = sb.write("azure-identity-token", format!("{first}\n").as_bytes());
    let r = run(federated(&sb, &fake).env("AZURE_FEDERATED_TOKEN_FILE", &file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Kubernetes rotates the file; the next run must send the new token.
    let second = fake.mint_federated_token(AKS_ISSUER, AKS_SUBJECT, FEDERATED_AUDIENCE, 3600);
    std::fs::write(&file, &second).unwrap();
    let r = run(federated(&sb, &fake)
        .arg("--federated-token-file")
        .arg(&file));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reqs = fake.requests();
    assert_eq!(reqs[0].field("client_assertion"), Some(first.as_str()));
    assert_eq!(reqs[1].field("client_assertion"), Some(second.as_str()));
    assert_eq!(
        reqs[1].field("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
}

#[test]
fn a_token_for_another_subject_is_refused_with_a_hint() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let token = fake.mint_federated_token(
        AKS_ISSUER,
        "system:serviceaccount:other:sa",
        FEDERATED_AUDIENCE,
        3600,
    );
    let file = sb.write("token", token.as_bytes());
    let r = run(federated(&sb, &fake)
        .arg("--federated-token-file")
        .arg(&file));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("AADSTS700213"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("hint: no federated credential on the app matches this token's subject"),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_or_empty_token_files_are_exit_1() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let empty = sb.write("empty", b"\n");
    let r = run(federated(&sb, &fake)
        .arg("--federated-token-file")
        .arg(&empty));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("is empty"), "{}", r.stderr);
    let r = run(federated(&sb, &fake).args(["--federated-token-file", "/nonexistent/token"]));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("cannot read the federated token file /nonexistent/token"),
        "{}",
        r.stderr
    );
    assert!(fake.requests().is_empty());
}

fn github(sb: &Sandbox, fake: &FakeEntra) -> assert_cmd::Command {
    let mut c = federated(sb, fake);
    c.arg("--github-oidc")
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", fake.github_request_url())
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", GITHUB_REQUEST_TOKEN);
    c
}

#[test]
fn github_oidc_fetches_the_job_token_and_presents_it() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(&mut github(&sb, &fake));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("ey"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(
        reqs[0].path,
        "/_github/idtoken?api-version=2.0&audience=api%3A%2F%2FAzureADTokenExchange"
    );
    assert_eq!(
        reqs[0].headers["authorization"],
        format!("Bearer {GITHUB_REQUEST_TOKEN}")
    );
    let assertion = reqs[1].field("client_assertion").unwrap();
    let (_, claims) = jwt_parts(assertion);
    assert_eq!(claims["iss"], GITHUB_ISSUER);
    assert_eq!(claims["sub"], GITHUB_SUBJECT);
    assert_eq!(claims["aud"], FEDERATED_AUDIENCE);
}

#[test]
fn github_oidc_without_the_job_variables_says_which_permission_is_missing() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(github(&sb, &fake).env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN"));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "entra-token: error: --github-oidc needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN, which GitHub Actions sets only when the job has `permissions: id-token: write`\n"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn github_refusing_the_request_token_is_exit_4() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(github(&sb, &fake).env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "expired-token"));
    assert_eq!(r.code, 4);
    assert!(
        r.stderr
            .starts_with("entra-token: error: GitHub's OIDC token endpoint answered HTTP 401"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("expired-token"));
    assert_eq!(
        fake.requests().len(),
        1,
        "no token request without an assertion"
    );
}

#[test]
fn a_different_github_audience_is_refused_by_entra() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(github(&sb, &fake).args(["--github-audience", "api://custom"]));
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("AADSTS700212"), "{}", r.stderr);
    assert!(
        fake.requests()[0]
            .path
            .ends_with("audience=api%3A%2F%2Fcustom")
    );
}

#[test]
fn verbose_hides_the_request_token_and_the_oidc_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(github(&sb, &fake).arg("-v"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let assertion = fake.requests()[1]
        .field("client_assertion")
        .unwrap()
        .to_owned();
    assert!(!r.stderr.contains(GITHUB_REQUEST_TOKEN));
    assert!(!r.stderr.contains(&assertion[assertion.len() - 30..]));
    assert!(r.stderr.contains("> GET http://127.0.0.1:"), "{}", r.stderr);
    assert!(
        r.stderr.contains("/_github/idtoken?<redacted>"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(r#""value":"<redacted>""#), "{}", r.stderr);
}
