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

    /// The binary with a clean environment, as a std command (for spawning).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_entra-token"));
        c.env_clear()
            .env("HOME", self.dir.path())
            .env("ENTRA_TOKEN_CACHE_DIR", self.cache_dir())
            .env("NO_COLOR", "1");
        c
    }

    /// The binary with a clean environment.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::from_std(self.std_cmd());
        c.timeout(std::time::Duration::from_secs(120));
        c
    }

    /// `delegated`, as an assert_cmd command (for run-to-completion tests).
    pub fn delegated_cmd(&self, fake: &FakeEntra, command: &str) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::from_std(self.delegated(fake, command));
        c.timeout(std::time::Duration::from_secs(120));
        c
    }

    /// A delegated command against the fake with the public client.
    pub fn delegated(&self, fake: &FakeEntra, command: &str) -> std::process::Command {
        let mut c = self.std_cmd();
        c.arg(command)
            .args(["-t", TENANT_ID, "-c", PUBLIC_CLIENT_ID])
            .args(["--authority-host", &fake.url()]);
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

/// A running binary whose stderr is read line by line, so that a test can act on what it
/// says (a user code, a URL) while it runs.
pub struct Live {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Live {
    pub fn spawn(cmd: &mut std::process::Command) -> Self {
        use std::io::{BufRead, Read};
        use std::process::Stdio;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn entra-token");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut out = child.stdout.take().expect("stdout");
        let stdout = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
            stdout: Some(stdout),
        }
    }

    /// Waits (up to 30 s) for a stderr line that `pred` accepts and returns it.
    pub fn wait_for(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no such line on stderr; seen so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Writes to the binary's stdin.
    pub fn type_in(&mut self, text: &str) {
        use std::io::Write;
        let stdin = self.child.stdin.as_mut().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("write stdin");
        stdin.flush().expect("flush");
    }

    /// The process ID (to send signals).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGINT, as Ctrl-C at a terminal does.
    #[cfg(unix)]
    pub fn interrupt(&self) {
        let status = std::process::Command::new("kill")
            .args(["-INT", &self.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -INT {}", self.pid());
    }

    /// Waits (up to 60 s) for the exit and returns everything.
    pub fn finish(mut self) -> Run {
        drop(self.child.stdin.take());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "entra-token did not exit; stderr so far:\n{}",
                    self.seen.join("\n")
                );
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let stdout = self
            .stdout
            .take()
            .expect("stdout")
            .join()
            .expect("stdout thread");
        let mut stderr = self.seen.join("\n");
        if !stderr.is_empty() {
            stderr.push('\n');
        }
        Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The user code in the device-code instructions.
pub fn user_code(line: &str) -> String {
    let re = regex::Regex::new(r"enter the code ([A-Z0-9]+)").expect("regex");
    re.captures(line).expect("a user code")[1].to_owned()
}

/// The person at the fake's device login page: `approve` or `decline`.
pub fn act_on_device_code(fake: &FakeEntra, code: &str, action: &str) {
    let (status, _) = raw_post(
        &format!("{}/devicelogin", fake.url()),
        &[("code", code), ("action", action)],
    );
    assert_eq!(status, 200, "the device login page knows {code}");
}

/// Runs `device-code` with the public client and approves the sign-in as the user would.
pub fn device_sign_in(sb: &Sandbox, fake: &FakeEntra, extra: &[&str]) -> Run {
    let mut live = Live::spawn(sb.delegated(fake, "device-code").args(extra));
    let line = live.wait_for(|l| l.contains("enter the code"));
    act_on_device_code(fake, &user_code(&line), "approve");
    live.finish()
}

/// A GET as a browser would make it; returns the status, the Location header and the body.
pub fn browse(url: &str) -> (u16, Option<String>, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    // As a browser does: `http://host:port?q` is a request for `/?q`.
    let (host, path) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('?') => (&rest[..i], format!("/{}", &rest[i..])),
        Some(i) => (&rest[..i], rest[i..].to_owned()),
        None => (rest, "/".to_owned()),
    };
    let connect_to = host.replacen("localhost", "127.0.0.1", 1);
    let mut stream = std::net::TcpStream::connect(&connect_to)
        .unwrap_or_else(|e| panic!("connect {connect_to} for {url}: {e}"));
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Mozilla/5.0 (test browser)\r\nConnection: close\r\n\r\n").expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .map(str::to_owned);
    (status, location, body.to_owned())
}

/// The value of a query parameter of a URL.
/// The `redirect_uri` of a sign-in or consent URL, checked to be the loopback
/// listener shape Entra accepts for public clients: `http://localhost:<port>`.
pub fn loopback_redirect_uri(url: &str) -> String {
    let redirect_uri = query_param(url, "redirect_uri").expect("a redirect_uri parameter");
    assert!(
        regex::Regex::new(r"^http://localhost:[0-9]+$")
            .unwrap()
            .is_match(&redirect_uri),
        "{redirect_uri}"
    );
    redirect_uri
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
