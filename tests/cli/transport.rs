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
        "entra-token: error: Entra answered HTTP 503 after retries"
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

/// A proxy that records the head of each request it gets and answers 502.
fn recording_proxy() -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let _ = tx.send(head.lines().next().unwrap_or_default().to_owned());
            let _ = stream.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        }
    });
    (url, rx)
}

#[test]
fn https_proxy_from_the_environment_is_used_for_remote_hosts() {
    let fake = FakeEntra::start();
    let (proxy, seen) = recording_proxy();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .env_remove("AZURE_AUTHORITY_HOST")
        .env("HTTPS_PROXY", &proxy));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(
        seen.recv_timeout(std::time::Duration::from_secs(10))
            .unwrap(),
        "CONNECT login.microsoftonline.com:443 HTTP/1.1"
    );
    assert!(fake.requests().is_empty());
}

#[test]
fn loopback_authorities_never_go_through_a_proxy() {
    let fake = FakeEntra::start();
    let (proxy, seen) = recording_proxy();
    let sb = Sandbox::new();
    let port = fake.addr().port();
    for host in [format!("http://localhost:{port}"), fake.url()] {
        let r = run(sb
            .client_credentials(&fake)
            .args(["--no-cache", "--authority-host", &host])
            .env("HTTP_PROXY", &proxy)
            .env("http_proxy", &proxy)
            .env("ALL_PROXY", &proxy)
            .env("NO_PROXY", "example.org"));
        assert_eq!(r.code, 0, "{host}: {}", r.stderr);
    }
    assert_eq!(fake.issued(), 2, "both went straight to the authority");
    assert!(seen.try_recv().is_err(), "the proxy saw a request");
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
