//! `auth-code`, driven the way a person would: read the URL from stderr, act as the
//! browser at the fake's authorize page, follow the redirect to the listener.

use crate::support::*;

fn authorize_line(live: &mut Live, fake: &FakeEntra) -> String {
    let prefix = format!("{}/", fake.url());
    live.wait_for(|l| l.starts_with(&prefix) && l.contains("/authorize?"))
}

#[test]
fn auth_code_loopback_signs_in_checks_state_and_uses_pkce() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(sb.delegated(&fake, "auth-code").args([
        "--no-browser",
        "-s",
        "User.Read",
        "--prompt",
        "select_account",
        "--login-hint",
        USER_UPN,
        "--domain-hint",
        "contoso.com",
    ]));
    let url = authorize_line(&mut live, &fake);
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query_param(&url, "response_mode").as_deref(), Some("query"));
    assert_eq!(
        query_param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_param(&url, "prompt").as_deref(),
        Some("select_account")
    );
    assert_eq!(query_param(&url, "login_hint").as_deref(), Some(USER_UPN));
    assert_eq!(
        query_param(&url, "domain_hint").as_deref(),
        Some("contoso.com")
    );
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("User.Read openid profile offline_access")
    );
    let redirect_uri = loopback_redirect_uri(&url);

    // The browser: sign-in page, then the redirect to the listener. A stray request first.
    let (status, location, _) = browse(&url);
    assert_eq!(status, 302);
    let location = location.unwrap();
    let (status, _, _) = browse(&format!("{redirect_uri}/favicon.ico"));
    assert_eq!(status, 404, "stray requests are ignored");
    let (status, _, page) = browse(&location);
    assert_eq!(status, 200);
    assert!(
        page.contains("Sign-in complete. You can close this window"),
        "{page}"
    );

    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(jwt_claims(r.stdout.trim())["upn"], USER_UPN);
    assert_eq!(r.stdout.lines().count(), 1);
    let token_req = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/token"))
        .unwrap();
    assert_eq!(token_req.field("grant_type"), Some("authorization_code"));
    assert_eq!(token_req.field("redirect_uri"), Some(redirect_uri.as_str()));
    assert_eq!(
        token_req.field("code"),
        query_param(&location, "code").as_deref()
    );
    let verifier = token_req.field("code_verifier").unwrap();
    use base64::Engine;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()));
    assert_eq!(Some(challenge), query_param(&url, "code_challenge"));
    assert!(!r.stderr.contains(verifier));
}

#[test]
fn a_forged_state_is_refused_and_no_code_is_redeemed() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(sb.delegated(&fake, "auth-code").arg("--no-browser"));
    let url = authorize_line(&mut live, &fake);
    let (_, location, _) = browse(&url);
    let location = location.unwrap();
    let state = query_param(&location, "state").unwrap();
    let forged = location.replace(
        &format!(
            "state={}",
            form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
        ),
        "state=attacker",
    );
    assert_ne!(forged, location);
    let (status, _, page) = browse(&forged);
    assert_eq!(status, 400);
    assert!(page.contains("state mismatch"), "{page}");
    let r = live.finish();
    assert_eq!(r.code, 5);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("entra-token: error: state mismatch"),
        "{}",
        r.stderr
    );
    assert!(fake.requests().iter().all(|r| !r.path.ends_with("/token")));
}

#[test]
fn an_error_redirect_ends_with_exit_5_and_the_reason() {
    let fake = FakeEntra::start();
    fake.set_browser_user(BrowserUser::Decline);
    let sb = Sandbox::new();
    let mut live = Live::spawn(sb.delegated(&fake, "auth-code").arg("--no-browser"));
    let url = authorize_line(&mut live, &fake);
    let (_, location, _) = browse(&url);
    let (status, _, _) = browse(&location.unwrap());
    assert_eq!(status, 400);
    let r = live.finish();
    assert_eq!(r.code, 5);
    assert!(r.stderr.ends_with("entra-token: error: sign-in failed: access_denied: AADSTS65004: User declined to consent to access the app.\n"), "{}", r.stderr);
}

#[test]
fn the_sign_in_times_out() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = Live::spawn(sb.delegated(&fake, "auth-code").args([
        "--no-browser",
        "--timeout-signin",
        "1",
    ]))
    .finish();
    assert_eq!(r.code, 5);
    assert!(
        r.stderr.ends_with(
            "entra-token: error: sign-in did not complete within 1 s (--timeout-signin)\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn a_registered_path_and_fixed_port_are_served() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let port = closed_port();
    let redirect = format!("http://localhost:{port}/callback");
    let mut live = Live::spawn(sb.delegated(&fake, "auth-code").args([
        "--no-browser",
        "--redirect-uri",
        &redirect,
    ]));
    let url = authorize_line(&mut live, &fake);
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(redirect.as_str())
    );
    let (_, location, _) = browse(&url);
    let location = location.unwrap();
    assert!(location.starts_with(&format!("{redirect}?code=")));
    let (status, _, _) = browse(&location);
    assert_eq!(status, 200);
    assert_eq!(live.finish().code, 0);
}

#[test]
fn paste_back_accepts_the_final_url_or_the_bare_code() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for bare in [false, true] {
        let mut live = Live::spawn(sb.delegated(&fake, "auth-code").args([
            "--no-browser",
            "--no-cache",
            "--redirect-uri",
            "https://login.microsoftonline.com/common/oauth2/nativeclient",
        ]));
        let url = authorize_line(&mut live, &fake);
        live.wait_for(|l| l.starts_with("After signing in, paste"));
        let (status, location, _) = browse(&url);
        assert_eq!(status, 302);
        let location = location.unwrap();
        assert!(
            location
                .starts_with("https://login.microsoftonline.com/common/oauth2/nativeclient?code=")
        );
        let pasted = if bare {
            query_param(&location, "code").unwrap()
        } else {
            location
        };
        live.type_in(&format!("{pasted}\n"));
        let r = live.finish();
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.starts_with("ey"));
    }
}

#[test]
fn paste_back_with_a_wrong_state_is_refused() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(sb.delegated(&fake, "auth-code").args([
        "--no-browser",
        "--redirect-uri",
        "urn:ietf:wg:oauth:2.0:oob",
    ]));
    authorize_line(&mut live, &fake);
    live.type_in("urn:ietf:wg:oauth:2.0:oob?code=abc&state=forged\n");
    let r = live.finish();
    assert_eq!(r.code, 5);
    assert!(r.stderr.contains("state mismatch"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn the_browser_is_opened_unless_no_browser() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let opened = sb.path().join("opened-url");
    let script = sb.write(
        "browser.sh",
        format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", opened.display()).as_bytes(),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = sb.delegated(&fake, "auth-code");
    cmd.env("BROWSER", &script).env("PATH", "/usr/bin:/bin");
    let mut live = Live::spawn(&mut cmd);
    live.wait_for(|l| l.starts_with("Opened your browser"));
    let url = authorize_line(&mut live, &fake);
    let mut tries = 0;
    while !opened.exists() && tries < 100 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        tries += 1;
    }
    assert_eq!(
        std::fs::read_to_string(&opened).unwrap(),
        url,
        "the browser got the same URL"
    );
    let (_, location, _) = browse(&url);
    browse(&location.unwrap());
    assert_eq!(live.finish().code, 0);
}

#[test]
fn a_confidential_web_app_adds_its_secret() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let secret = sb.write("secret", CLIENT_SECRET.as_bytes());
    let mut cmd = sb.std_cmd();
    cmd.args([
        "auth-code",
        "--no-browser",
        "-t",
        TENANT_ID,
        "-c",
        CLIENT_ID,
        "--authority-host",
        &fake.url(),
    ])
    .arg("--client-secret-file")
    .arg(&secret)
    .env("AZURE_CLIENT_SECRET", "must-not-be-used");
    let mut live = Live::spawn(&mut cmd);
    let url = authorize_line(&mut live, &fake);
    let (_, location, _) = browse(&url);
    browse(&location.unwrap());
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token_req = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/token"))
        .unwrap();
    assert_eq!(token_req.field("client_secret"), Some(CLIENT_SECRET));
}

#[test]
fn an_ipv6_loopback_redirect_is_served_on_ipv6_and_forged_errors_are_ignored() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let port = {
        let l = std::net::TcpListener::bind("[::1]:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let redirect_uri = format!("http://[::1]:{port}/cb");
    let mut live = Live::spawn(sb.delegated(&fake, "auth-code").args([
        "--no-browser",
        "--redirect-uri",
        &redirect_uri,
    ]));
    let url = authorize_line(&mut live, &fake);
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(redirect_uri.as_str())
    );
    let state = query_param(&url, "state").unwrap();
    // Anyone on the machine can send an error without the state: it does not end the
    // sign-in.
    let (status, _, page) = browse(&format!("{redirect_uri}?error=access_denied"));
    assert_eq!(status, 400);
    assert!(page.contains("does not belong"), "{page}");
    let (status, _, _) = browse(&format!(
        "{redirect_uri}?error=access_denied&state=not-{state}"
    ));
    assert_eq!(status, 400);
    // The real redirect, on [::1]: its code is redeemed (and refused, as this one was
    // never issued), which proves the listener took it.
    let enc: String = form_urlencoded::byte_serialize(state.as_bytes()).collect();
    let (status, _, _) = browse(&format!("{redirect_uri}?code=never-issued&state={enc}"));
    assert_eq!(status, 200);
    let r = live.finish();
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("error invalid_grant"), "{}", r.stderr);
    assert_eq!(r.stdout, "");
}
