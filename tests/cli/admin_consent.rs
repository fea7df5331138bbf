//! `admin-consent`, driven as an administrator would: read the URL from stderr, act as
//! the browser at the fake's consent page, follow the redirect to the listener (or paste
//! the final address back).

use crate::support::*;

fn consent_cmd(sb: &Sandbox, fake: &FakeEntra) -> std::process::Command {
    let mut c = sb.std_cmd();
    c.arg("admin-consent").args([
        "-c",
        CLIENT_ID,
        "--authority-host",
        &fake.url(),
        "--no-browser",
    ]);
    c
}

fn consent_line(live: &mut Live, fake: &FakeEntra) -> String {
    let prefix = format!("{}/", fake.url());
    live.wait_for(|l| l.starts_with(&prefix))
}

fn no_token_requests(fake: &FakeEntra) {
    assert!(
        fake.requests().iter().all(|r| !r.path.ends_with("/token")),
        "admin consent redeems nothing"
    );
}

#[test]
fn v2_admin_consent_through_the_listener_prints_the_tenant_id() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(&mut consent_cmd(&sb, &fake));
    let url = consent_line(&mut live, &fake);
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(parsed.path(), "/organizations/v2.0/adminconsent");
    let names: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(names, ["client_id", "scope", "redirect_uri", "state"]);
    assert_eq!(query_param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("https://graph.microsoft.com/.default")
    );
    let redirect_uri = loopback_redirect_uri(&url);

    let (status, location, _) = browse(&url);
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert_eq!(
        query_param(&location, "admin_consent").as_deref(),
        Some("True")
    );
    // Stray requests and a forged error (no state) are answered and ignored.
    let (status, _, _) = browse(&format!("{redirect_uri}/favicon.ico"));
    assert_eq!(status, 404);
    let (status, _, page) = browse(&format!("{redirect_uri}/?error=access_denied"));
    assert_eq!(status, 400);
    assert!(page.contains("does not belong"), "{page}");
    let (status, _, page) = browse(&location);
    assert_eq!(status, 200);
    assert!(page.contains("Admin consent granted"), "{page}");

    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, format!("{TENANT_ID}\n"));
    assert!(
        r.stderr.ends_with(&format!(
            "entra-token: admin consent granted: app {CLIENT_ID} is installed in tenant {TENANT_ID}\n"
        )),
        "{}",
        r.stderr
    );
    no_token_requests(&fake);
}

#[test]
fn v1_admin_consent_uses_prompt_admin_consent_and_redeems_nothing() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(consent_cmd(&sb, &fake).args([
        "-t",
        TENANT_DOMAIN,
        "-r",
        "https://management.azure.com/",
    ]));
    let url = consent_line(&mut live, &fake);
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        parsed.path(),
        format!("/{TENANT_DOMAIN}/oauth2/authorize").as_str()
    );
    let names: Vec<String> = parsed.query_pairs().map(|(k, _)| k.into_owned()).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "response_type",
            "redirect_uri",
            "resource",
            "prompt",
            "state"
        ]
    );
    assert_eq!(
        query_param(&url, "prompt").as_deref(),
        Some("admin_consent")
    );
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(
        query_param(&url, "resource").as_deref(),
        Some("https://management.azure.com/")
    );
    let (_, location, _) = browse(&url);
    let location = location.unwrap();
    assert!(query_param(&location, "code").is_some(), "{location}");
    let (status, _, _) = browse(&location);
    assert_eq!(status, 200);
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    // v1 names no tenant in the redirect: the tenant is the one asked for.
    assert_eq!(r.stdout, format!("{TENANT_DOMAIN}\n"));
    no_token_requests(&fake);
}

#[test]
fn admin_consent_over_ssh_takes_the_pasted_address() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let nativeclient = "https://login.microsoftonline.com/common/oauth2/nativeclient";
    let mut live = Live::spawn(consent_cmd(&sb, &fake).args(["--redirect-uri", nativeclient]));
    let url = consent_line(&mut live, &fake);
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some(nativeclient)
    );
    live.wait_for(|l| l.starts_with("After signing in, paste"));
    let (status, location, _) = browse(&url);
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(location.starts_with(nativeclient), "{location}");
    live.type_in(&format!("{location}\n"));
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, format!("{TENANT_ID}\n"));
}

#[test]
fn a_non_administrator_is_refused_with_exit_3_the_evidence_and_a_hint() {
    let fake = FakeEntra::start();
    fake.set_browser_user(BrowserUser::NotAdmin);
    let sb = Sandbox::new();
    let mut live = Live::spawn(consent_cmd(&sb, &fake).args(["-t", TENANT_ID]));
    let url = consent_line(&mut live, &fake);
    let (_, location, _) = browse(&url);
    let (status, _, page) = browse(&location.unwrap());
    assert_eq!(status, 400);
    assert!(page.contains("AADSTS90093"), "{page}");
    let r = live.finish();
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let tail: Vec<&str> = r
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("entra-token: error:"))
        .collect();
    let tail = normalize(&tail.join("\n"));
    assert_eq!(
        tail,
        format!(
            "entra-token: error: Entra refused the admin consent
  AADSTS90093: Contoso Deploy is requesting one or more permissions that you are not authorized to grant.
  error access_denied
  trace id <uuid>  correlation id <uuid>
hint: the account that signed in may not grant these permissions: an administrator (Global, Privileged Role or Cloud Application Administrator) must run `entra-token admin-consent`:
      entra-token admin-consent -c <uuid> -t <uuid>
      (see TROUBLESHOOTING.md)"
        )
    );
}

#[test]
fn a_wrong_state_ends_admin_consent_with_exit_5() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(&mut consent_cmd(&sb, &fake));
    let url = consent_line(&mut live, &fake);
    let redirect_uri = query_param(&url, "redirect_uri").unwrap();
    let (status, _, page) = browse(&format!(
        "{redirect_uri}/?admin_consent=True&tenant={TENANT_ID}&state=attacker"
    ));
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
}

#[test]
fn consent_required_names_the_exact_admin_consent_line_which_then_cures_it() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let scope = format!("{CONSENT_RESOURCE}/.default");
    let r = run(sb.client_credentials(&fake).args(["-s", &scope]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let expected_line =
        format!("      entra-token admin-consent -c {CLIENT_ID} -t {TENANT_ID} -s {scope}\n");
    assert!(r.stderr.contains("AADSTS65001"), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "hint: consent is required: an administrator must consent to this app for the whole tenant with `entra-token admin-consent` (or API permissions → Grant admin consent):\n{expected_line}"
        )),
        "{}",
        r.stderr
    );

    // The administrator runs exactly that line.
    let mut live = Live::spawn(consent_cmd(&sb, &fake).args(["-t", TENANT_ID, "-s", &scope]));
    let url = consent_line(&mut live, &fake);
    assert_eq!(query_param(&url, "scope").as_deref(), Some(scope.as_str()));
    let (_, location, _) = browse(&url);
    browse(&location.unwrap());
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = run(sb.client_credentials(&fake).args(["-s", &scope]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(jwt_claims(r.stdout.trim())["aud"], CONSENT_RESOURCE);
}

#[test]
fn auth_code_prompt_admin_consent_is_v1_only() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb.delegated_cmd(&fake, "auth-code").args([
        "--no-browser",
        "--prompt",
        "admin_consent",
    ]));
    assert_eq!(r.code, 2);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "entra-token: error: --prompt admin_consent works only on the v1 endpoint (with --resource); for scopes, an administrator runs `entra-token admin-consent -c APP` instead\n"
    );
    assert!(fake.requests().is_empty());

    let mut live = Live::spawn(sb.delegated(&fake, "auth-code").args([
        "--no-browser",
        "--prompt",
        "admin_consent",
        "-r",
        "https://graph.microsoft.com",
    ]));
    let url = live.wait_for(|l| l.contains("/oauth2/authorize?"));
    assert_eq!(
        query_param(&url, "prompt").as_deref(),
        Some("admin_consent")
    );
    let (_, location, _) = browse(&url);
    browse(&location.unwrap());
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        jwt_claims(r.stdout.trim())["aud"],
        "https://graph.microsoft.com"
    );
}

#[test]
fn port_zero_is_a_usage_error() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(assert_cmd::Command::from_std(consent_cmd(&sb, &fake))
        .args(["--redirect-uri", "http://localhost:0"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "entra-token: error: the redirect URI 'http://localhost:0' names port 0: name a real port, or leave it out for any free one (--redirect-uri, --port)\n"
    );
}
