//! Transport behaviour through the real binary: retries, bad bodies, timeouts, refusals
//! to send.

use std::time::{Duration, Instant};

use crate::support::*;

#[test]
fn throttled_once_then_success_makes_exactly_two_requests() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Status {
        status: 429,
        retry_after: Some("1".into()),
    });
    let sb = Sandbox::new();
    let started = Instant::now();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert!(r.stdout.starts_with("ey"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_ne!(
        reqs[0].headers["client-request-id"], reqs[1].headers["client-request-id"],
        "each attempt has its own client-request-id"
    );
    assert_eq!(fake.issued(), 1);
}

#[test]
fn three_503s_end_with_exit_4_after_exactly_three_requests() {
    let fake = FakeEntra::start();
    for _ in 0..3 {
        fake.push_fault(Fault::Status {
            status: 503,
            retry_after: None,
        });
    }
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(fake.requests().len(), 3);
    let first = r.stderr.lines().next().unwrap();
    assert_eq!(
        first,
        "entra-token: error: Entra answered HTTP 503 (temporarily_unavailable) after retries"
    );
    assert!(r.stderr.contains("AADSTS90033"), "{}", r.stderr);
    let last_crid = &fake.requests()[2].headers["client-request-id"];
    assert!(
        r.stderr.contains(&format!("client-request-id {last_crid}")),
        "{}",
        r.stderr
    );
}

#[test]
fn a_5xx_then_success_is_retried() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Status {
        status: 500,
        retry_after: None,
    });
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn html_body_is_exit_4() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Html);
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.starts_with("entra-token: error: the server answered HTTP 200 with text/html; charset=utf-8, not JSON\n"), "{}", r.stderr);
    assert!(!r.stderr.contains("Sign in to your account"));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn truncated_json_is_exit_4() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Truncated);
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .starts_with("entra-token: error: the server answered HTTP 200 with truncated JSON\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn oversized_body_is_refused_with_exit_4() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Oversized);
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("is larger than 1 MiB; refused"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_server_that_never_answers_times_out_with_exit_4() {
    let fake = FakeEntra::start();
    fake.push_fault(Fault::Hang);
    let sb = Sandbox::new();
    let started = Instant::now();
    let r = run(sb.client_credentials(&fake).args(["--timeout", "2"]));
    let took = started.elapsed();
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "{took:?}"
    );
    assert!(
        normalize(&r.stderr).starts_with(
            "entra-token: error: no answer from 127.0.0.1:<port> within 2 s (--timeout)\n"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(fake.requests().len(), 1, "a timeout is not retried");
}

#[test]
fn connection_refused_is_exit_4() {
    let port = closed_port();
    let sb = Sandbox::new();
    let r = run(sb
        .cmd()
        .args(["client-credentials", "-t", TENANT_ID, "-c", CLIENT_ID])
        .args(["--authority-host", &format!("http://127.0.0.1:{port}")])
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET));
    assert_eq!(r.code, 4);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with(&format!(
            "entra-token: error: cannot connect to 127.0.0.1:{port}: "
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("client-request-id "), "{}", r.stderr);
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused_before_anything_is_sent() {
    // Every request the binary makes would go through this "proxy", which is the fake:
    // had anything been sent, the fake would have logged it.
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for host in [
        "http://login.microsoftonline.com",
        "http://login.example.com:8080",
    ] {
        let r = run(sb
            .client_credentials(&fake)
            .args(["--authority-host", host])
            .env("HTTP_PROXY", fake.url())
            .env("http_proxy", fake.url())
            .env("HTTPS_PROXY", fake.url()));
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert_eq!(r.stdout, "");
        assert!(
            r.stderr.starts_with(&format!(
                "entra-token: error: refusing plain http authority '{host}'"
            )),
            "{}",
            r.stderr
        );
    }
    let r = run(sb
        .client_credentials(&fake)
        .env("AZURE_AUTHORITY_HOST", "http://sts.example.org"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("(from AZURE_AUTHORITY_HOST)"),
        "{}",
        r.stderr
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn https_proxy_from_the_environment_is_used() {
    // An http authority on a non-proxied loopback name goes through HTTP_PROXY; the fake
    // acting as the proxy sees an absolute-form request for the real authority.
    let fake = FakeEntra::start();
    let proxy = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .args([
            "--authority-host",
            &format!("http://localhost:{}", fake.addr().port()),
        ])
        .env("HTTP_PROXY", proxy.url()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0]
            .path
            .starts_with(&format!("http://localhost:{}/", fake.addr().port())),
        "{:?}",
        seen[0].path
    );
    assert!(fake.requests().is_empty());
    let _ = proxy.violations();
}

#[test]
fn a_missing_ca_file_is_exit_1_before_any_request() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .args(["--ca-file", "/nonexistent/ca.pem"]));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("entra-token: error: cannot read --ca-file /nonexistent/ca.pem:"),
        "{}",
        r.stderr
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn tls_to_a_plain_http_server_fails_with_exit_4() {
    // A bare host means https; the fake speaks plain http, so the handshake fails.
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb.client_credentials(&fake).args([
        "--authority-host",
        &format!("127.0.0.1:{}", fake.addr().port()),
    ]));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let _ = fake.violations();
}

fn tls_fake() -> FakeEntra {
    let read = |n: &str| std::fs::read(cert_fixture(n)).unwrap();
    FakeEntra::start_tls(
        "127.0.0.1:0".parse().unwrap(),
        false,
        &read("server.pem"),
        &read("server-key.pem"),
    )
}

#[test]
fn https_with_a_private_ca_works_with_ca_file_and_fails_without() {
    let fake = tls_fake();
    assert!(fake.url().starts_with("https://127.0.0.1:"));
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .arg("--ca-file")
        .arg(cert_fixture("ca.pem")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("ey"));
    // A certificate assertion's aud is the https token URL.
    let r = run(sb
        .client_credentials(&fake)
        .env_remove("AZURE_CLIENT_SECRET")
        .arg("--certificate")
        .arg(cert_fixture("app.pem"))
        .arg("--ca-file")
        .arg(cert_fixture("ca.pem")));
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = run(sb.client_credentials(&fake).arg("--no-cache"));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with(&format!(
            "entra-token: error: cannot connect to {}: ",
            fake.url().trim_start_matches("https://")
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.to_lowercase().contains("certificate"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fake.requests().len(),
        2,
        "the untrusted handshake never reached HTTP"
    );
}

#[test]
fn a_ca_file_without_certificates_is_exit_1() {
    let sb = Sandbox::new();
    let fake = FakeEntra::start();
    let bad = sb.write("ca.pem", b"not a certificate\n");
    let r = run(sb.client_credentials(&fake).arg("--ca-file").arg(&bad));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("holds no PEM certificate"),
        "{}",
        r.stderr
    );
}

#[test]
fn throttling_that_persists_is_a_refusal_after_exactly_three_requests() {
    let fake = FakeEntra::start();
    for _ in 0..3 {
        fake.push_fault(Fault::Status {
            status: 429,
            retry_after: Some("0".into()),
        });
    }
    let sb = Sandbox::new();
    let r = run(&mut sb.client_credentials(&fake));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(fake.requests().len(), 3);
    assert!(r.stderr.contains("AADSTS50196"), "{}", r.stderr);
    assert!(
        r.stderr.contains("hint: Entra detected a request loop"),
        "{}",
        r.stderr
    );
}
