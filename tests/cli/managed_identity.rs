//! `managed-identity` against the fake's identity endpoints (one per source), Azure
//! Pipelines and a managed identity as the app's credential, and the kubectl and Azure
//! Pipelines outputs.

use crate::support::*;

/// `entra-token mi` with the environment of `kind`'s platform pointed at the fake.
fn mi(sb: &Sandbox, fake: &FakeEntra, kind: IdentityKind) -> assert_cmd::Command {
    let mut c = sb.cmd();
    c.arg("managed-identity");
    match kind {
        IdentityKind::Imds => {
            c.env("AZURE_POD_IDENTITY_AUTHORITY_HOST", fake.url());
        }
        IdentityKind::AppService => {
            c.env("IDENTITY_ENDPOINT", fake.identity_url(kind))
                .env("IDENTITY_HEADER", IDENTITY_HEADER_VALUE);
        }
        IdentityKind::AzureMl => {
            c.env("MSI_ENDPOINT", fake.identity_url(kind))
                .env("MSI_SECRET", MSI_SECRET_VALUE);
        }
        IdentityKind::CloudShell => {
            c.env("MSI_ENDPOINT", fake.identity_url(kind));
        }
        IdentityKind::Arc => {
            c.env("IDENTITY_ENDPOINT", fake.identity_url(kind))
                .env("IMDS_ENDPOINT", fake.url());
        }
        IdentityKind::ServiceFabric => {
            c.env("IDENTITY_ENDPOINT", fake.identity_url(kind))
                .env("IDENTITY_HEADER", IDENTITY_HEADER_VALUE);
        }
    }
    c
}

fn identity_requests(fake: &FakeEntra) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path.contains("/token?") || r.path.ends_with("/_cloudshell/token"))
        .collect()
}

fn query(r: &Recorded) -> Vec<(String, String)> {
    let q = r.path.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

#[test]
fn imds_gives_the_system_assigned_token_and_the_cache_serves_it_again() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(&mut mi(&sb, &fake, IdentityKind::Imds));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, "");
    let claims = jwt_claims(r.stdout.trim());
    assert_eq!(claims["aud"], "https://management.azure.com/");
    assert_eq!(claims["oid"], SYSTEM_MI_OBJECT_ID);
    let again = run(&mut mi(&sb, &fake, IdentityKind::Imds));
    assert_eq!(again.stdout, r.stdout, "served from the cache");
    let seen = identity_requests(&fake);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].headers["metadata"], "true");
    assert_eq!(
        query(&seen[0]),
        [
            ("api-version".into(), "2018-02-01".into()),
            ("resource".into(), "https://management.azure.com/".into())
        ]
    );
    // The alias, and -o json with the numbers as numbers.
    let r = run(sb
        .cmd()
        .args(["mi", "-o", "json"])
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", fake.url()));
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(json["expires_in"].as_u64().unwrap() > 86_000);
}

#[test]
fn user_assigned_identities_go_by_each_sources_own_names() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let cases = [
        (
            IdentityKind::Imds,
            "--client-id",
            UAMI_CLIENT_ID,
            "client_id",
        ),
        (
            IdentityKind::Imds,
            "--object-id",
            UAMI_OBJECT_ID,
            "object_id",
        ),
        (
            IdentityKind::Imds,
            "--resource-id",
            UAMI_RESOURCE_ID,
            "msi_res_id",
        ),
        (
            IdentityKind::AppService,
            "--object-id",
            UAMI_OBJECT_ID,
            "object_id",
        ),
        (
            IdentityKind::AppService,
            "--resource-id",
            UAMI_RESOURCE_ID,
            "mi_res_id",
        ),
        (
            IdentityKind::AzureMl,
            "--client-id",
            UAMI_CLIENT_ID,
            "clientid",
        ),
    ];
    for (kind, flag, id, name) in cases {
        let before = identity_requests(&fake).len();
        let r = run(mi(&sb, &fake, kind).args(["--no-cache", flag, id]));
        assert_eq!(r.code, 0, "{kind:?} {flag}: {}", r.stderr);
        assert_eq!(jwt_claims(r.stdout.trim())["oid"], UAMI_OBJECT_ID);
        let seen = &identity_requests(&fake)[before];
        assert!(
            query(seen).contains(&(name.to_owned(), id.to_owned())),
            "{kind:?}: {:?}",
            seen.path
        );
    }
}

#[test]
fn an_identity_not_assigned_is_exit_3_and_two_identities_are_exit_2() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let stranger = "11111111-2222-3333-4444-555555555555";
    let r = run(mi(&sb, &fake, IdentityKind::Imds).args(["--client-id", stranger]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains(&format!(
            "the identity with client ID {stranger} is not assigned to this resource"
        )),
        "{}",
        r.stderr
    );
    let r = run(mi(&sb, &fake, IdentityKind::AppService).args(["--client-id", stranger]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let r = run(mi(&sb, &fake, IdentityKind::Imds).args([
        "--client-id",
        UAMI_CLIENT_ID,
        "--object-id",
        UAMI_OBJECT_ID,
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    // Azure ML takes a client ID only; Cloud Shell none.
    let r = run(mi(&sb, &fake, IdentityKind::AzureMl).args(["--object-id", UAMI_OBJECT_ID]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("by client ID only"), "{}", r.stderr);
    let r = run(mi(&sb, &fake, IdentityKind::CloudShell).args(["--client-id", UAMI_CLIENT_ID]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn azure_client_id_selects_unless_another_identity_is_named() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(mi(&sb, &fake, IdentityKind::Imds)
        .arg("--no-cache")
        .env("AZURE_CLIENT_ID", UAMI_CLIENT_ID));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(jwt_claims(r.stdout.trim())["oid"], UAMI_OBJECT_ID);
    let r = run(mi(&sb, &fake, IdentityKind::Imds)
        .args(["--no-cache", "--system-assigned"])
        .env("AZURE_CLIENT_ID", UAMI_CLIENT_ID));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(jwt_claims(r.stdout.trim())["oid"], SYSTEM_MI_OBJECT_ID);
    let r = run(mi(&sb, &fake, IdentityKind::Imds)
        .args(["--no-cache", "--resource-id", UAMI_RESOURCE_ID])
        .env("AZURE_CLIENT_ID", "ffffffff-ffff-ffff-ffff-ffffffffffff"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last = identity_requests(&fake).pop().unwrap();
    assert_eq!(query(&last).len(), 3, "one selector: {}", last.path);
}

#[test]
fn one_scope_becomes_the_resource_and_two_are_refused() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r =
        run(mi(&sb, &fake, IdentityKind::Imds).args(["-s", "https://vault.azure.net/.default"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        query(&identity_requests(&fake)[0])
            .contains(&("resource".into(), "https://vault.azure.net".into()))
    );
    let r = run(mi(&sb, &fake, IdentityKind::Imds).args(["-s", "a/.default b/.default"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn app_service_azure_ml_and_cloud_shell_speak_their_own_protocols() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(mi(&sb, &fake, IdentityKind::AppService).arg("-v"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains(IDENTITY_HEADER_VALUE), "{}", r.stderr);
    assert!(
        r.stderr.contains("> X-IDENTITY-HEADER: <redacted>"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(r.stdout.trim()));
    let seen = identity_requests(&fake).pop().unwrap();
    assert_eq!(seen.headers["x-identity-header"], IDENTITY_HEADER_VALUE);
    assert!(query(&seen).contains(&("api-version".into(), "2019-08-01".into())));

    fake.set_expiry_form(ExpiryForm::LinuxDate);
    let r = run(mi(&sb, &fake, IdentityKind::AzureMl).args(["-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let left = json["expires_in"].as_u64().unwrap();
    assert!((86_000..=86_400).contains(&left), "date form read: {left}");
    let seen = identity_requests(&fake).pop().unwrap();
    assert_eq!(seen.headers["secret"], MSI_SECRET_VALUE);

    fake.set_expiry_form(ExpiryForm::WindowsDate);
    let r = run(mi(&sb, &fake, IdentityKind::AppService).args(["--no-cache", "-o", "json"]));
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = run(&mut mi(&sb, &fake, IdentityKind::CloudShell));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let seen = fake
        .requests()
        .into_iter()
        .rfind(|r| r.path.ends_with("/_cloudshell/token"))
        .unwrap();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.headers["metadata"], "true");
    assert_eq!(
        seen.field("resource"),
        Some("https://management.azure.com/")
    );
}

#[test]
fn imds_retries_what_it_should_and_gives_up_on_what_it_should_not() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for _ in 0..2 {
        fake.push_identity_fault(Fault::Status {
            status: 500,
            retry_after: Some("0".into()),
        });
    }
    let r = run(mi(&sb, &fake, IdentityKind::Imds).arg("--no-cache"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(identity_requests(&fake).len(), 3);
    // App Service does not retry a 404.
    fake.push_identity_fault(Fault::Status {
        status: 404,
        retry_after: None,
    });
    let r = run(mi(&sb, &fake, IdentityKind::AppService).arg("--no-cache"));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(identity_requests(&fake).len(), 4);
}

#[test]
fn an_updating_imds_is_waited_for() {
    // 410 "IMDS is updating": tried again 10 s later (the one slow test here).
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    fake.push_identity_fault(Fault::Status {
        status: 410,
        retry_after: None,
    });
    let started = std::time::Instant::now();
    let r = run(&mut mi(&sb, &fake, IdentityKind::Imds));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(started.elapsed() >= std::time::Duration::from_secs(10));
    assert_eq!(identity_requests(&fake).len(), 2);
}

#[test]
fn no_imds_off_azure_is_a_quick_exit_4_with_the_hint() {
    let sb = Sandbox::new();
    let r = run(sb.cmd().arg("mi").env(
        "AZURE_POD_IDENTITY_AUTHORITY_HOST",
        format!("http://127.0.0.1:{}", closed_port()),
    ));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("entra-token: error: cannot connect to 127.0.0.1:"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with(
            "hint: no managed identity endpoint answered: is this an Azure resource with a managed identity?\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn managed_identity_never_goes_through_a_proxy() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    // A proxy that does not exist: any attempt to use it fails the command.
    let dead = format!("http://127.0.0.1:{}", closed_port());
    let r = run(mi(&sb, &fake, IdentityKind::AppService)
        .env("HTTP_PROXY", &dead)
        .env("HTTPS_PROXY", &dead)
        .env("ALL_PROXY", &dead));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn arc_refuses_a_challenge_outside_the_agents_key_directory() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let planted = sb.write("stolen.key", b"not-for-you");
    fake.set_arc_key(&planted.display().to_string(), "not-for-you");
    let r = run(&mut mi(&sb, &fake, IdentityKind::Arc));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the key file is not directly in /var/opt/azcmagent/tokens"),
        "{}",
        r.stderr
    );
    // The challenge was read, the planted file was not sent.
    let seen = identity_requests(&fake);
    assert_eq!(seen.len(), 1);
    assert!(!seen[0].headers.contains_key("authorization"));
}

#[cfg(unix)]
#[test]
fn arc_answers_the_challenge_with_the_agents_key_file() {
    use std::os::unix::fs::MetadataExt;
    if std::fs::metadata("/").unwrap().uid() != 0 || unsafe_to_touch_agent_dir() {
        // The key directory is fixed (/var/opt/azcmagent/tokens); only root may create it.
        eprintln!("skipped: needs root to create /var/opt/azcmagent/tokens");
        return;
    }
    let dir = std::path::Path::new("/var/opt/azcmagent/tokens");
    std::fs::create_dir_all(dir).unwrap();
    let name = format!("entra-token-test-{}.key", std::process::id());
    let key_path = dir.join(&name);
    std::fs::write(&key_path, "arc-key-contents\n").unwrap();
    let fake = FakeEntra::start();
    fake.set_arc_key(&key_path.display().to_string(), "arc-key-contents");
    let sb = Sandbox::new();
    let r = run(mi(&sb, &fake, IdentityKind::Arc).args(["--object-id", UAMI_OBJECT_ID, "-v"]));
    let _ = std::fs::remove_file(&key_path);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("arc-key-contents"), "{}", r.stderr);
    assert!(
        r.stderr.contains("> Authorization: <redacted>"),
        "{}",
        r.stderr
    );
    let seen = identity_requests(&fake);
    assert_eq!(seen.len(), 2, "the challenge, then the answer");
    assert_eq!(seen[1].headers["authorization"], "Basic arc-key-contents");
    assert!(query(&seen[1]).contains(&("object_id".into(), UAMI_OBJECT_ID.into())));
}

/// Whether the agent's real key directory has files other tests must not disturb.
#[cfg(unix)]
fn unsafe_to_touch_agent_dir() -> bool {
    std::path::Path::new("/opt/azcmagent/bin/himds").exists()
}

/// A Service Fabric fake: TLS with the test server certificate, and its SHA-1.
fn service_fabric() -> (FakeEntra, String) {
    let cert = std::fs::read(cert_fixture("server.pem")).unwrap();
    let key = std::fs::read(cert_fixture("server-key.pem")).unwrap();
    let fake = FakeEntra::start_tls("127.0.0.1:0".parse().unwrap(), false, &cert, &key);
    let der = fixture_cert_der("server.pem");
    let sha1 = <sha1::Sha1 as sha1::Digest>::digest(&der);
    let thumbprint = sha1
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    (fake, thumbprint)
}

#[test]
fn service_fabric_trusts_exactly_the_pinned_certificate() {
    let (fake, thumbprint) = service_fabric();
    let sb = Sandbox::new();
    let r =
        run(mi(&sb, &fake, IdentityKind::ServiceFabric)
            .env("IDENTITY_SERVER_THUMBPRINT", &thumbprint));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let seen = identity_requests(&fake);
    assert_eq!(seen[0].headers["secret"], IDENTITY_HEADER_VALUE);
    assert!(query(&seen[0]).contains(&("api-version".into(), "2019-07-01-preview".into())));

    let wrong = "00".repeat(20);
    let r = run(mi(&sb, &fake, IdentityKind::ServiceFabric)
        .arg("--no-cache")
        .env("IDENTITY_SERVER_THUMBPRINT", &wrong));
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(identity_requests(&fake).len(), 1, "the secret never left");
    // And a user-assigned identity cannot be chosen there.
    let r = run(mi(&sb, &fake, IdentityKind::ServiceFabric)
        .args(["--client-id", UAMI_CLIENT_ID])
        .env("IDENTITY_SERVER_THUMBPRINT", &thumbprint));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_forced_source_needs_its_variables() {
    let sb = Sandbox::new();
    let r = run(sb.cmd().args(["mi", "--source", "app-service"]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "entra-token: error: the app-service managed identity source needs IDENTITY_ENDPOINT\n"
    );
}

fn pipelines(sb: &Sandbox, fake: &FakeEntra) -> assert_cmd::Command {
    let mut c = sb.cmd();
    c.args([
        "client-credentials",
        "--azure-pipelines",
        "--authority-host",
        &fake.url(),
    ])
    .env("SYSTEM_OIDCREQUESTURI", fake.pipelines_oidc_url())
    .env("SYSTEM_ACCESSTOKEN", PIPELINES_ACCESS_TOKEN)
    .env(
        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
        PIPELINES_CONNECTION_ID,
    )
    .env("AZURESUBSCRIPTION_CLIENT_ID", CLIENT_ID)
    .env("AZURESUBSCRIPTION_TENANT_ID", TENANT_ID);
    c
}

#[test]
fn azure_pipelines_exchanges_a_fresh_oidc_token_every_time() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    for _ in 0..2 {
        let r = run(pipelines(&sb, &fake).arg("--no-cache"));
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(jwt_claims(r.stdout.trim())["appid"], CLIENT_ID);
    }
    let oidc: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/_pipelines/oidctoken"))
        .collect();
    assert_eq!(oidc.len(), 2, "one OIDC token per exchange");
    assert_eq!(oidc[0].method, "POST");
    assert_eq!(
        oidc[0].path,
        format!(
            "/_pipelines/oidctoken?api-version=7.1&serviceConnectionId={PIPELINES_CONNECTION_ID}"
        )
    );
    assert_eq!(oidc[0].headers["x-tfs-fedauthredirect"], "Suppress");
    assert_eq!(
        oidc[0].headers["authorization"],
        format!("Bearer {PIPELINES_ACCESS_TOKEN}")
    );
    let exchange = fake
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/token"))
        .unwrap();
    assert_eq!(
        exchange.field("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
}

#[test]
fn azure_pipelines_says_how_to_map_the_access_token_and_shows_refusal_ids() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(pipelines(&sb, &fake).env_remove("SYSTEM_ACCESSTOKEN"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "entra-token: error: --azure-pipelines needs SYSTEM_ACCESSTOKEN, which a script step has only when it maps it\nhint: add to the step:\n        env:\n          SYSTEM_ACCESSTOKEN: $(System.AccessToken)\n"
    );
    let r = run(pipelines(&sb, &fake).env("SYSTEM_ACCESSTOKEN", "expired-token"));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("TF400813"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("x-vss-e2eid e2e-1234, x-msedge-ref Ref A: 42"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("expired-token"));
    // A redirect (to a sign-in page) is a refusal too, with its status and ids.
    fake.push_identity_fault(Fault::Raw {
        status: 302,
        content_type: "text/html",
        body: "<html>Object moved</html>".into(),
    });
    let r = run(&mut pipelines(&sb, &fake));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("error http_302  HTTP 302"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("Object moved"), "{}", r.stderr);
    let r = run(pipelines(&sb, &fake).args(["--service-connection-id", "other"]));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("no explicit reference"), "{}", r.stderr);
}

#[test]
fn a_user_assigned_identity_can_be_the_apps_credential() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .client_credentials(&fake)
        .env_remove("AZURE_CLIENT_SECRET")
        .args([
            "--managed-identity-assertion",
            "--mi-client-id",
            UAMI_CLIENT_ID,
        ])
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", fake.url()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(jwt_claims(r.stdout.trim())["appid"], CLIENT_ID);
    let imds = identity_requests(&fake);
    assert!(query(&imds[0]).contains(&("resource".into(), "api://AzureADTokenExchange".into())));
    assert!(query(&imds[0]).contains(&("client_id".into(), UAMI_CLIENT_ID.into())));
    let r = run(sb
        .client_credentials(&fake)
        .env_remove("AZURE_CLIENT_SECRET")
        .arg("--managed-identity-assertion"));
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn exec_credential_and_azure_pipelines_outputs() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(mi(&sb, &fake, IdentityKind::Imds).args([
        "-r",
        "6dae42f8-4368-4678-94ff-3960e28e3630",
        "-o",
        "exec-credential",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1);
    let cred: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_eq!(cred["spec"]["interactive"], false);
    let ts = cred["status"]["expirationTimestamp"].as_str().unwrap();
    assert!(
        regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            .unwrap()
            .is_match(ts),
        "{ts}"
    );
    let token = cred["status"]["token"].as_str().unwrap();
    assert_eq!(
        jwt_claims(token)["aud"],
        "6dae42f8-4368-4678-94ff-3960e28e3630"
    );
    let r = run(mi(&sb, &fake, IdentityKind::Imds)
        .args(["-r", "6dae42f8-4368-4678-94ff-3960e28e3630", "-o", "exec-credential"])
        .env(
            "KUBERNETES_EXEC_INFO",
            r#"{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","spec":{"interactive":true}}"#,
        ));
    assert!(
        r.stdout
            .contains(r#""apiVersion":"client.authentication.k8s.io/v1""#),
        "{}",
        r.stdout
    );
    let r = run(mi(&sb, &fake, IdentityKind::Imds)
        .args(["-o", "exec-credential"])
        .env(
            "KUBERNETES_EXEC_INFO",
            r#"{"apiVersion":"client.authentication.k8s.io/v1alpha1"}"#,
        ));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");

    let r = run(mi(&sb, &fake, IdentityKind::Imds).args([
        "-o",
        "azure-pipelines",
        "--env-name",
        "ARM_TOKEN",
    ]));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r
        .stdout
        .strip_prefix("##vso[task.setvariable variable=ARM_TOKEN;issecret=true]")
        .unwrap();
    assert!(line.starts_with("ey") && line.ends_with('\n') && line.lines().count() == 1);
    let r = run(mi(&sb, &fake, IdentityKind::Imds).args([
        "-o",
        "azure-pipelines",
        "--env-name",
        "A;B]",
    ]));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[test]
fn aks_is_a_well_known_client() {
    let fake = FakeEntra::start();
    let sb = Sandbox::new();
    let r = run(sb
        .cmd()
        .args([
            "refresh",
            "--no-cache",
            "-c",
            "aks",
            "--authority-host",
            &fake.url(),
        ])
        .args(["--refresh-token-file", "-"])
        .write_stdin("0.nope\n"));
    assert_eq!(r.code, 3, "{}", r.stderr);
    let sent = fake.requests().pop().unwrap();
    assert_eq!(
        sent.field("client_id"),
        Some("80faf920-1908-4b52-b5ef-a8e7bedfc67a")
    );
}
