//! Test support: the strict fake Entra and a clean-room runner for the real binary.
#![allow(dead_code)]

pub mod fake_entra;

use std::path::{Path, PathBuf};

pub use fake_entra::*;

/// The outcome of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A temporary HOME with its own cache directory; every command runs with a cleared
/// environment (no AZURE_*, ENTRA_TOKEN_*, ACTIONS_*, proxies, HOME or XDG_* leak in).
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// The binary with a clean environment.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::new(env!("CARGO_BIN_EXE_entra-token"));
        c.env_clear()
            .env("HOME", self.dir.path())
            .env("ENTRA_TOKEN_CACHE_DIR", self.cache_dir())
            .env("NO_COLOR", "1")
            .timeout(std::time::Duration::from_secs(120));
        c
    }

    /// `client-credentials` against the fake, with the registered app and its secret.
    pub fn client_credentials(&self, fake: &FakeEntra) -> assert_cmd::Command {
        let mut c = self.cmd();
        c.arg("client-credentials")
            .env("AZURE_TENANT_ID", TENANT_ID)
            .env("AZURE_CLIENT_ID", CLIENT_ID)
            .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
            .env("AZURE_AUTHORITY_HOST", fake.url());
        c
    }

    /// Writes a file in the sandbox.
    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write");
        p
    }
}

/// Runs a command and captures everything.
pub fn run(cmd: &mut assert_cmd::Command) -> Run {
    let out = cmd.output().expect("run entra-token");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Replaces what differs between runs (UUIDs, ports, timings) with placeholders.
pub fn normalize(text: &str) -> String {
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        .expect("regex");
    let port = regex::Regex::new(r"127\.0\.0\.1:[0-9]+").expect("regex");
    let ms = regex::Regex::new(r"[0-9]+ ms").expect("regex");
    let t = uuid.replace_all(text, "<uuid>");
    let t = port.replace_all(&t, "127.0.0.1:<port>");
    ms.replace_all(&t, "<n> ms").into_owned()
}

/// Decodes the payload of a JWT without verifying it.
pub fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

/// A loopback port with nothing listening on it.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// POSTs a form straight to the fake (with the headers entra-token would send), for
/// requests the tool itself would never make. Returns the status and the JSON body.
pub fn raw_post(url: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').expect("path");
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nclient-request-id: {}\r\nreturn-client-request-id: true\r\nUser-Agent: entra-token/test\r\nConnection: close\r\n\r\n{body}",
        body.len(),
        uuid::Uuid::new_v4()
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").expect("head and body");
    let status = head
        .split_whitespace()
        .nth(1)
        .expect("status")
        .parse()
        .expect("number");
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

/// Path of a certificate fixture.
pub fn cert_fixture(name: &str) -> PathBuf {
    Path::new(CERT_DIR).join(name)
}

/// Header and claims of a JWT, unverified.
pub fn jwt_parts(token: &str) -> (serde_json::Value, serde_json::Value) {
    use base64::Engine;
    let mut it = token.split('.').map(|p| {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .expect("base64url");
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_default()
    });
    (it.next().expect("header"), it.next().expect("claims"))
}
