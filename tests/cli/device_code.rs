//! `device-code`, driven the way a person would: read the code from stderr, enter it on
//! the sign-in page, watch stdout receive only the token.

use std::time::Duration;

use crate::support::*;

#[test]
fn device_code_v2_signs_in_and_prints_only_the_token() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(&mut sb.delegated(&fake, "device-code"));
    let line = live.wait_for(|l| l.contains("enter the code"));
    assert!(
        line.starts_with(&format!(
            "To sign in, use a web browser to open the page {}/devicelogin",
            fake.url()
        )),
        "{line}"
    );
    live.wait_for(|l| l == "Waiting for sign-in (the code expires in 15m)...");
    act_on_device_code(&fake, &user_code(&line), "approve");
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = r.stdout.strip_suffix('\n').expect("newline");
    assert_eq!(jwt_claims(token)["upn"], USER_UPN);
    assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);

    let reqs = fake.requests();
    let dc = &reqs[0];
    assert_eq!(dc.path, format!("/{TENANT_ID}/oauth2/v2.0/devicecode"));
    assert_eq!(dc.field("client_id"), Some(PUBLIC_CLIENT_ID));
    assert_eq!(
        dc.field("scope"),
        Some("https://graph.microsoft.com/.default openid profile offline_access")
    );
    let polls: Vec<_> = reqs.iter().filter(|r| r.path.ends_with("/token")).collect();
    assert!(!polls.is_empty());
    for p in &polls {
        assert_eq!(
            p.field("grant_type"),
            Some("urn:ietf:params:oauth:grant-type:device_code")
        );
        assert!(p.field("device_code").is_some());
        assert_eq!(p.field("client_secret"), None);
    }
    for pair in polls.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_millis(900),
            "polls keep the interval"
        );
    }
}

#[test]
fn device_code_json_output_holds_refresh_and_id_tokens() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live =
        Live::spawn(
            sb.delegated(&fake, "device-code")
                .args(["-s", "User.Read", "-o", "json"]),
        );
    let line = live.wait_for(|l| l.contains("enter the code"));
    act_on_device_code(&fake, &user_code(&line), "approve");
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let rt = json["refresh_token"].as_str().expect("refresh_token");
    assert!(fake.refresh_token_valid(rt));
    assert_eq!(
        jwt_claims(json["id_token"].as_str().unwrap())["preferred_username"],
        USER_UPN
    );
    assert_eq!(json["scope"], "User.Read openid profile");
    assert_eq!(
        fake.requests()[0].field("scope"),
        Some("User.Read openid profile offline_access")
    );
}

#[test]
fn device_code_v1_uses_verification_url_string_numbers_and_the_code_field() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(
        sb.delegated(&fake, "device-code")
            .args(["--resource", "https://management.azure.com/"]),
    );
    let line = live.wait_for(|l| l.contains("enter the code"));
    act_on_device_code(&fake, &user_code(&line), "approve");
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let reqs = fake.requests();
    assert_eq!(reqs[0].path, format!("/{TENANT_ID}/oauth2/devicecode"));
    assert_eq!(
        reqs[0].field("resource"),
        Some("https://management.azure.com/")
    );
    let last = reqs.last().unwrap();
    assert_eq!(last.path, format!("/{TENANT_ID}/oauth2/token"));
    assert_eq!(last.field("grant_type"), Some("device_code"));
    assert!(last.field("code").is_some());
    assert_eq!(last.field("device_code"), None);
    assert_eq!(
        last.field("resource"),
        Some("https://management.azure.com/")
    );
}

#[test]
fn device_code_declined_is_exit_5_with_no_output() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(&mut sb.delegated(&fake, "device-code"));
    let line = live.wait_for(|l| l.contains("enter the code"));
    act_on_device_code(&fake, &user_code(&line), "decline");
    let r = live.finish();
    assert_eq!(r.code, 5);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .ends_with("entra-token: error: the sign-in was declined\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn device_code_gives_up_when_the_code_expires() {
    let fake = FakeEntra::start();
    fake.set_device_timing(1, 3);
    let sb = Sandbox::new();
    let r = Live::spawn(&mut sb.delegated(&fake, "device-code")).finish();
    assert_eq!(r.code, 5);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .contains("entra-token: error: the device code expired"),
        "{}",
        r.stderr
    );
}

#[test]
fn device_code_slow_down_adds_five_seconds() {
    let fake = FakeEntra::start();
    fake.slow_down_next_poll();
    let sb = Sandbox::new();
    let mut live = Live::spawn(&mut sb.delegated(&fake, "device-code"));
    let line = live.wait_for(|l| l.contains("enter the code"));
    act_on_device_code(&fake, &user_code(&line), "approve");
    let r = live.finish();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let polls: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/token"))
        .collect();
    assert_eq!(polls.len(), 2, "slow_down, then the token");
    let gap = polls[1].at - polls[0].at;
    assert!(
        gap >= Duration::from_millis(5900),
        "waited {gap:?} after slow_down; interval 1 s + 5 s"
    );
}

#[test]
fn device_code_with_a_confidential_app_is_refused_with_the_public_client_hint() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut cmd = sb.std_cmd();
    cmd.args([
        "device-code",
        "-t",
        TENANT_ID,
        "-c",
        CLIENT_ID,
        "--authority-host",
        &fake.url(),
    ]);
    let mut live = Live::spawn(&mut cmd);
    let line = live.wait_for(|l| l.contains("enter the code"));
    act_on_device_code(&fake, &user_code(&line), "approve");
    let r = live.finish();
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("AADSTS7000218"), "{}", r.stderr);
    assert!(
        r.stderr.contains("\"Allow public client flows\""),
        "{}",
        r.stderr
    );
}

#[test]
fn well_known_client_names_resolve_to_their_ids() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb.cmd().args([
        "device-code",
        "-c",
        "azure-cli",
        "--authority-host",
        &fake.url(),
    ]));
    assert_eq!(r.code, 3, "the fake does not know Azure CLI: {}", r.stderr);
    let req = &fake.requests()[0];
    assert_eq!(
        req.path, "/organizations/oauth2/v2.0/devicecode",
        "delegated flows default to organizations"
    );
    assert_eq!(
        req.field("client_id"),
        Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46")
    );
}

#[cfg(unix)]
#[test]
fn device_code_ctrl_c_ends_with_exit_5_and_no_output() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let mut live = Live::spawn(&mut sb.delegated(&fake, "device-code"));
    live.wait_for(|l| l.starts_with("Waiting for sign-in"));
    live.interrupt();
    let r = live.finish();
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr
            .ends_with("entra-token: error: sign-in cancelled (Ctrl-C)\n"),
        "{}",
        r.stderr
    );
}
