//! Certificate credentials: every file form, both algorithms, x5c, --print-assertion,
//! and the fake refusing what Entra refuses.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha1::Digest as _;

use crate::support::*;

const PASSWORD: &str = "test-only-password";

fn app_der() -> Vec<u8> {
    fixture_cert_der("app-cert.pem")
}

fn sha1_x5t() -> String {
    URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(app_der()))
}

/// `client-credentials` with the app's certificate and no secret.
fn with_cert(sb: &Sandbox, fake: &FakeEntra, file: &str) -> assert_cmd::Command {
    let mut c = sb.client_credentials(fake);
    c.env_remove("AZURE_CLIENT_SECRET")
        .arg("--no-cache")
        .arg("--certificate")
        .arg(cert_fixture(file));
    c
}

fn assertion_of(fake: &FakeEntra, i: usize) -> String {
    let req = &fake.requests()[i];
    assert_eq!(
        req.field("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(req.field("client_secret"), None);
    req.field("client_assertion").expect("assertion").to_owned()
}

#[test]
fn every_certificate_file_form_gets_a_token_with_an_rs256_sha1_x5t_assertion() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let password_file = sb.write("pfx-password", format!("{PASSWORD}\n").as_bytes());
    let mut runs: Vec<assert_cmd::Command> = Vec::new();
    for pem in ["app.pem", "app-pkcs1.pem", "app-chain.pem"] {
        runs.push(with_cert(&sb, &fake, pem));
    }
    let mut modern = with_cert(&sb, &fake, "app-modern.pfx");
    modern.env("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD);
    runs.push(modern);
    let mut legacy = with_cert(&sb, &fake, "app-legacy.pfx");
    legacy
        .arg("--certificate-password-file")
        .arg(&password_file);
    runs.push(legacy);
    runs.push(with_cert(&sb, &fake, "app-nopass.pfx"));
    let mut split = with_cert(&sb, &fake, "app-cert.pem");
    split
        .arg("--private-key")
        .arg(cert_fixture("app-key-pkcs1.pem"));
    runs.push(split);

    for (i, cmd) in runs.iter_mut().enumerate() {
        let r = run(cmd);
        assert_eq!(r.code, 0, "run {i}: {}", r.stderr);
        assert_eq!(r.stderr, "", "run {i}");
        assert!(r.stdout.starts_with("ey") && r.stdout.lines().count() == 1);
        let (header, claims) = jwt_parts(&assertion_of(&fake, i));
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["x5t"], sha1_x5t(), "run {i}");
        assert!(header.get("x5c").is_none());
        assert_eq!(claims["aud"], fake.token_url(TENANT_ID, true));
        assert_eq!(claims["iss"], CLIENT_ID);
        assert_eq!(claims["sub"], CLIENT_ID);
        let (nbf, iat, exp) = (
            claims["nbf"].as_u64().unwrap(),
            claims["iat"].as_u64().unwrap(),
            claims["exp"].as_u64().unwrap(),
        );
        assert_eq!((nbf, exp - iat), (iat, 600));
    }
    assert_eq!(fake.issued(), 7);
}

#[test]
fn the_hint_in_the_portal_is_hex_but_x5t_is_base64url_of_the_binary_digest() {
    // The documented example: hex 84E05C1D98BCE3A5421D225B140B36E86A3D5534 is x5t
    // hOBcHZi846VCHSJbFAs26Go9VTQ.
    let hex = "84E05C1D98BCE3A5421D225B140B36E86A3D5534";
    let bytes: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert_eq!(URL_SAFE_NO_PAD.encode(bytes), "hOBcHZi846VCHSJbFAs26Go9VTQ");
}

#[test]
fn cert_assertion_reads_the_certificate_from_the_environment_and_v1_aud_is_the_v1_url() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .cmd()
        .args([
            "cert-assertion",
            "-t",
            TENANT_DOMAIN,
            "-c",
            CLIENT_ID,
            "--authority-host",
            &fake.url(),
        ])
        .args(["--resource", "https://vault.azure.net", "-o", "json"])
        .env(
            "AZURE_CLIENT_CERTIFICATE_PATH",
            cert_fixture("app-modern.pfx"),
        )
        .env("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["resource"], "https://vault.azure.net");
    let (_, claims) = jwt_parts(&assertion_of(&fake, 0));
    assert_eq!(claims["aud"], fake.token_url(TENANT_DOMAIN, false));
    assert_eq!(
        fake.requests()[0].path,
        format!("/{TENANT_DOMAIN}/oauth2/token")
    );
}

#[test]
fn ps256_uses_x5t_s256_and_is_accepted() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(with_cert(&sb, &fake, "app.pem").args(["--assertion-alg", "PS256"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (header, _) = jwt_parts(&assertion_of(&fake, 0));
    assert_eq!(header["alg"], "PS256");
    assert!(header.get("x5t").is_none());
    let expected = URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(app_der()));
    assert_eq!(header["x5t#S256"], expected);
}

#[test]
fn send_certificate_chain_adds_x5c_leaf_first_by_flag_or_environment() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(with_cert(&sb, &fake, "app-chain.pem").arg("--send-certificate-chain"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(with_cert(&sb, &fake, "app-legacy.pfx")
        .env("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD)
        .env("AZURE_CLIENT_SEND_CERTIFICATE_CHAIN", "true"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for i in 0..2 {
        let (header, _) = jwt_parts(&assertion_of(&fake, i));
        let x5c: Vec<Vec<u8>> = header["x5c"]
            .as_array()
            .expect("x5c")
            .iter()
            .map(|c| {
                STANDARD
                    .decode(c.as_str().unwrap())
                    .expect("standard base64")
            })
            .collect();
        assert_eq!(x5c, vec![app_der(), fixture_cert_der("ca.pem")]);
    }
}

#[test]
fn print_assertion_prints_only_the_jwt_and_sends_nothing() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .cmd()
        .args([
            "cert-assertion",
            "--print-assertion",
            "-t",
            TENANT_ID,
            "-c",
            CLIENT_ID,
        ])
        .args(["--authority-host", &fake.url(), "--certificate"])
        .arg(cert_fixture("app.pem")));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let jwt = r.stdout.strip_suffix('\n').unwrap();
    assert_eq!(jwt.split('.').count(), 3);
    let (header, claims) = jwt_parts(jwt);
    assert_eq!(header["x5t"], sha1_x5t());
    assert_eq!(claims["aud"], fake.token_url(TENANT_ID, true));
    assert!(fake.requests().is_empty());

    // The printed assertion is one Entra accepts once; a replay is refused.
    let token_url = fake.token_url(TENANT_ID, true);
    let (status, body) = post_assertion(&token_url, jwt);
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_assertion(&token_url, jwt);
    assert_eq!(status, 401);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("jti has already been used")
    );
}

#[test]
fn every_run_signs_a_fresh_assertion() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for _ in 0..2 {
        let r = run(&mut with_cert(&sb, &fake, "app.pem"));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let (_, a) = jwt_parts(&assertion_of(&fake, 0));
    let (_, b) = jwt_parts(&assertion_of(&fake, 1));
    assert_ne!(a["jti"], b["jti"]);
}

/// A client-credentials request with this assertion, sent straight to the fake.
fn post_assertion(token_url: &str, assertion: &str) -> (u16, serde_json::Value) {
    raw_post(
        token_url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("scope", "https://graph.microsoft.com/.default"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ],
    )
}

/// Signs claims with a key file's PEM private key, as a careless client would.
fn forge(key_file: &str, header: jsonwebtoken::Header, claims: serde_json::Value) -> String {
    let text = std::fs::read_to_string(cert_fixture(key_file)).unwrap();
    let start = text
        .find("-----BEGIN PRIVATE KEY-----")
        .expect("a PKCS#8 key block");
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(&text.as_bytes()[start..]).unwrap();
    jsonwebtoken::encode(&header, &claims, &key).unwrap()
}

#[test]
fn the_fake_refuses_every_malformed_assertion_entra_refuses() {
    let fake = FakeEntra::start();
    let token_url = fake.token_url(TENANT_ID, true);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let good_claims = |jti: &str| serde_json::json!({"aud": token_url, "iss": CLIENT_ID, "sub": CLIENT_ID, "jti": jti, "nbf": now, "iat": now, "exp": now + 600});
    let header_with = |x5t: &str| {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        h.x5t = Some(x5t.to_owned());
        h
    };
    let sha1 = sha1::Sha1::digest(app_der());
    let hex: String = sha1.iter().map(|b| format!("{b:02X}")).collect();
    let cases: Vec<(&str, String, u64)> = vec![
        (
            "hex thumbprint",
            forge("app.pem", header_with(&hex), good_claims("1")),
            700027,
        ),
        (
            "standard base64 thumbprint",
            forge(
                "app.pem",
                header_with(&STANDARD.encode(sha1)),
                good_claims("2"),
            ),
            700027,
        ),
        (
            "sha256 digest in x5t",
            forge(
                "app.pem",
                header_with(
                    &URL_SAFE_NO_PAD.encode(<sha2::Sha256 as sha2::Digest>::digest(app_der())),
                ),
                good_claims("3"),
            ),
            700027,
        ),
        (
            "signed by another key",
            forge(
                "unregistered.pem",
                header_with(&sha1_x5t()),
                good_claims("4"),
            ),
            700027,
        ),
        (
            "wrong aud",
            forge("app.pem", header_with(&sha1_x5t()), {
                let mut c = good_claims("5");
                c["aud"] = "https://login.microsoftonline.com/common/oauth2/v2.0/token".into();
                c
            }),
            700027,
        ),
        (
            "expired",
            forge("app.pem", header_with(&sha1_x5t()), {
                let mut c = good_claims("6");
                c["exp"] = (now - 3600).into();
                c["nbf"] = (now - 4200).into();
                c
            }),
            700024,
        ),
        (
            "not yet valid",
            forge("app.pem", header_with(&sha1_x5t()), {
                let mut c = good_claims("7");
                c["nbf"] = (now + 3600).into();
                c["exp"] = (now + 4200).into();
                c
            }),
            700024,
        ),
        (
            "no thumbprint",
            forge(
                "app.pem",
                jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
                good_claims("8"),
            ),
            700027,
        ),
        (
            "x5c leaf is another certificate",
            forge(
                "app.pem",
                {
                    let mut h = header_with(&sha1_x5t());
                    h.x5c = Some(vec![STANDARD.encode(fixture_cert_der("ca.pem"))]);
                    h
                },
                good_claims("9"),
            ),
            700027,
        ),
        ("not a JWT", "not.a.jwt".to_owned(), 50027),
    ];
    for (what, assertion, code) in cases {
        let (status, body) = post_assertion(&token_url, &assertion);
        assert!(status == 400 || status == 401, "{what}: {status}");
        assert_eq!(body["error_codes"][0], code, "{what}: {body}");
    }
    // And the same forger with everything right is accepted: the cases above fail for
    // their one fault, not for the forger.
    let ok = forge("app.pem", header_with(&sha1_x5t()), good_claims("10"));
    let (status, body) = post_assertion(&token_url, &ok);
    assert_eq!(status, 200, "{body}");
}

#[test]
fn an_unregistered_certificate_is_refused_with_a_hint() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(&mut with_cert(&sb, &fake, "unregistered.pem"));
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("AADSTS700027"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("hint: the client assertion was refused: upload this certificate"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_expired_certificate_warns_and_entra_decides() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(&mut with_cert(&sb, &fake, "expired.pem"));
    assert_eq!(r.code, 3);
    let first = r.stderr.lines().next().unwrap();
    assert!(first.starts_with("entra-token: warning: the certificate 'CN=expired, O=entra-token tests (TEST ONLY)' in "), "{first}");
    assert!(
        first.ends_with("expired on 2001-01-01; Entra will likely refuse it"),
        "{first}"
    );
    assert!(r.stderr.contains("The key used is expired"), "{}", r.stderr);
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn bad_certificate_files_are_exit_1_before_any_request() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let cases: [(&str, Option<&str>, &str); 7] = [
        (
            "app-modern.pfx",
            Some("wrong-password"),
            "wrong password for ",
        ),
        (
            "app-legacy.pfx",
            None,
            "app-legacy.pfx needs a password\nhint: set AZURE_CLIENT_CERTIFICATE_PASSWORD or pass --certificate-password-file PATH\n",
        ),
        ("mismatch.pem", None, "does not belong to the certificate"),
        (
            "ec.pem",
            None,
            "Entra certificate credentials need an RSA key",
        ),
        ("garbage.pem", None, "is neither PEM nor PFX/PKCS#12"),
        (
            "app-cert.pem",
            None,
            "holds a certificate but no private key\nhint: add the key to the file or pass --private-key PATH\n",
        ),
        ("does-not-exist.pem", None, "cannot read the certificate "),
    ];
    for (file, password, message) in cases {
        let mut cmd = with_cert(&sb, &fake, file);
        if let Some(p) = password {
            cmd.env("AZURE_CLIENT_CERTIFICATE_PASSWORD", p);
        }
        let r = run(&mut cmd);
        assert_eq!(r.code, 1, "{file}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{file}");
        assert!(
            r.stderr.starts_with("entra-token: error: "),
            "{file}: {}",
            r.stderr
        );
        assert!(r.stderr.contains(message), "{file}: {}", r.stderr);
        // One line, and at most one hint naming the option to fix.
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert!(
            lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
            "{file}: {}",
            r.stderr
        );
        if let Some(p) = password {
            assert!(!r.stderr.contains(p));
        }
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn certificate_options_without_a_certificate_and_two_credentials_are_usage_errors() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .arg("--private-key")
        .arg(cert_fixture("app-key.pem")));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("--private-key applies to a certificate credential"),
        "{}",
        r.stderr
    );
    let r = run(with_cert(&sb, &fake, "app.pem").args(["--client-secret-file", "-"]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
    let r = run(sb
        .cmd()
        .args(["cert-assertion", "-t", TENANT_ID, "-c", CLIENT_ID]));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cert-assertion needs a certificate: pass --certificate PATH or set AZURE_CLIENT_CERTIFICATE_PATH"), "{}", r.stderr);
    assert!(fake.requests().is_empty());
}

#[test]
fn verbose_never_shows_the_assertion_or_the_pfx_password() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(with_cert(&sb, &fake, "app-modern.pfx")
        .arg("-v")
        .env("AZURE_CLIENT_CERTIFICATE_PASSWORD", PASSWORD));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let assertion = assertion_of(&fake, 0);
    assert!(!r.stderr.contains(&assertion[..40]));
    assert!(!r.stderr.contains(PASSWORD));
    assert!(
        r.stderr.contains("client_assertion=<redacted>"),
        "{}",
        r.stderr
    );
}
