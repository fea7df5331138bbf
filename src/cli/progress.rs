//! What interactive flows show on stderr: the device code and a live countdown on a
//! terminal, plain lines otherwise.
#![allow(clippy::print_stderr)]

use std::cell::Cell;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use entra_token::flow::device_code::{DeviceCodeUi, MAX_WAIT, human};
use entra_token::inert::inert;
use entra_token::response::DeviceAuthorization;

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

/// Device code instructions and progress.
pub struct DeviceCodePrompt {
    tty: bool,
    frame: Cell<usize>,
    drawn: Cell<bool>,
}

impl DeviceCodePrompt {
    pub fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            frame: Cell::new(0),
            drawn: Cell::new(false),
        }
    }
}

impl DeviceCodeUi for DeviceCodePrompt {
    fn show(&self, auth: &DeviceAuthorization) {
        // Everything here is the server's text: shown inert.
        match &auth.message {
            Some(m) if !m.trim().is_empty() => eprintln!("{}", inert(m.trim())),
            _ => eprintln!(
                "To sign in, open {} and enter the code {}",
                inert(&auth.verification_uri),
                inert(&auth.user_code)
            ),
        }
        if !self.tty {
            eprintln!(
                "Waiting for sign-in (the code expires in {})...",
                human(Duration::from_secs(auth.expires_in).min(MAX_WAIT))
            );
        }
    }

    fn waiting(&self, remaining: Duration) {
        if !self.tty {
            return;
        }
        let f = self.frame.get();
        self.frame.set(f + 1);
        let secs = remaining.as_secs();
        eprint!(
            "\r{} waiting for sign-in, {:02}:{:02} left (Ctrl-C to cancel)\x1b[K",
            SPINNER[f % SPINNER.len()],
            secs / 60,
            secs % 60
        );
        let _ = std::io::stderr().flush();
        self.drawn.set(true);
    }

    fn done(&self) {
        if self.drawn.get() {
            eprint!("\r\x1b[K");
            let _ = std::io::stderr().flush();
        }
    }
}

/// Asks for pasted input, on stderr.
pub fn paste_prompt() {
    eprintln!(
        "After signing in, paste the address of the page you end on (or just the code) and press Enter:"
    );
}

/// The sign-in URL, always on stderr.
pub fn show_url(url: &str, opened: Option<bool>) {
    match opened {
        Some(true) => {
            eprintln!("Opened your browser to sign in. If it did not open, visit:\n{url}")
        }
        Some(false) => eprintln!("Could not open a browser; open this URL to sign in:\n{url}"),
        None => eprintln!("Open this URL to sign in:\n{url}"),
    }
}
