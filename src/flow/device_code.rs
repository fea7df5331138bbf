//! The device code flow (RFC 8628): ask for a code, show it, poll until the user signs in.
//!
//! Polling is a state machine with time passed in ([`DevicePoll`]): pending keeps the
//! interval, `slow_down` adds 5 s, declined / bad code / expired end it, and the deadline
//! is `expires_in` after the code was issued.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::request::{Form, Grant};
use crate::response::{DeviceAuthorization, TokenResponse, parse};
use crate::scope::Target;
use crate::transport::Transport;

/// Poll interval when the server names none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// What `slow_down` adds.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The longest poll interval believed; a server asking for more polls this often.
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// The longest wait for a sign-in believed, whatever `expires_in` says.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// What the flow shows the user; the binary prints it on stderr.
pub trait DeviceCodeUi {
    /// The code and where to enter it.
    fn show(&self, auth: &DeviceAuthorization);
    /// Called about once a second while waiting, with the time left.
    fn waiting(&self, _remaining: Duration) {}
    /// The wait is over (signed in, failed or cancelled).
    fn done(&self) {}
}

/// The next thing to do.
#[derive(Debug)]
pub enum Step {
    /// Wait this long, then poll.
    Wait(Duration),
    /// Signed in.
    Done(Box<TokenResponse>),
    /// The flow ended without a token.
    Fail(Error),
}

/// The polling state machine. Times are offsets from when the code was issued.
#[derive(Debug, Clone)]
pub struct DevicePoll {
    interval: Duration,
    expires: Duration,
}

impl DevicePoll {
    /// Starts from the server's answer, clamped: at most [`MAX_INTERVAL`] between polls and
    /// [`MAX_WAIT`] in all.
    pub fn new(auth: &DeviceAuthorization) -> Self {
        Self {
            interval: auth
                .interval
                .filter(|i| *i > 0)
                .map(|i| Duration::from_secs(i).min(MAX_INTERVAL))
                .unwrap_or(DEFAULT_INTERVAL),
            expires: Duration::from_secs(auth.expires_in).min(MAX_WAIT),
        }
    }

    /// When the code expires, as an offset from when it was issued (clamped).
    pub fn expires(&self) -> Duration {
        self.expires
    }

    /// The first step: wait one interval.
    pub fn start(&self, now: Duration) -> Step {
        self.wait_or_expire(now)
    }

    fn wait_or_expire(&self, now: Duration) -> Step {
        if now.saturating_add(self.interval) >= self.expires {
            Step::Fail(Error::SignIn(format!(
                "the device code expired after {} before sign-in completed; run the command again",
                human(self.expires)
            )))
        } else {
            Step::Wait(self.interval)
        }
    }

    /// The step after a poll answered at `now`.
    pub fn on_answer(&mut self, now: Duration, answer: Result<TokenResponse>) -> Step {
        let error = match answer {
            Ok(token) => return Step::Done(Box::new(token)),
            Err(Error::Refused { entra, .. }) if is_poll_error(&entra.error) => entra.error.clone(),
            Err(other) => return Step::Fail(other),
        };
        match error.as_str() {
            "authorization_pending" => self.wait_or_expire(now),
            "slow_down" => {
                self.interval = (self.interval + SLOW_DOWN_STEP).min(MAX_INTERVAL);
                self.wait_or_expire(now)
            }
            "authorization_declined" | "access_denied" => {
                Step::Fail(Error::SignIn("the sign-in was declined".into()))
            }
            "bad_verification_code" => Step::Fail(Error::SignIn(
                "Entra did not recognise the device code (bad_verification_code); run the command again".into(),
            )),
            _ => Step::Fail(Error::SignIn(format!(
                "the device code expired before sign-in completed ({error}); run the command again"
            ))),
        }
    }
}

fn is_poll_error(error: &str) -> bool {
    matches!(
        error,
        "authorization_pending"
            | "slow_down"
            | "authorization_declined"
            | "access_denied"
            | "bad_verification_code"
            | "expired_token"
            | "code_expired"
    )
}

pub use crate::clock::human;

/// Asks the device authorization endpoint for a code for `target`.
pub async fn authorize<T: Transport>(
    transport: &T,
    client: &super::Client<'_>,
    target: &Target,
) -> Result<DeviceAuthorization> {
    let mut form = Form::new();
    form.plain("client_id", client.client_id);
    let (name, value) = target.form_field();
    form.plain(name, value);
    if let Some(claims) = client.claims {
        form.plain("claims", claims);
    }
    let resp = transport
        .post_form(&client.authority(target).devicecode_url(), &form)
        .await?;
    parse(&resp, "the device code request", "a device authorization")
}

/// Gets a code, shows it through `ui`, and polls until the user signs in, declines, or
/// the code expires.
pub async fn run<T: Transport>(
    transport: &T,
    client: &super::Client<'_>,
    target: &Target,
    ui: &dyn DeviceCodeUi,
) -> Result<TokenResponse> {
    let auth = authorize(transport, client, target).await?;
    let started = tokio::time::Instant::now();
    ui.show(&auth);
    let mut poll = DevicePoll::new(&auth);
    let expires = poll.expires();
    let mut step = poll.start(Duration::ZERO);
    let result = loop {
        match step {
            Step::Wait(wait) => {
                let wake = tokio::time::Instant::now() + wait;
                loop {
                    let now = tokio::time::Instant::now();
                    if now >= wake {
                        break;
                    }
                    ui.waiting(expires.saturating_sub(now - started));
                    tokio::time::sleep((wake - now).min(Duration::from_secs(1))).await;
                }
                let grant = Grant::DeviceCode {
                    device_code: auth.device_code.clone(),
                };
                let answer =
                    super::redeem(transport, client, target, grant, "the device code sign-in")
                        .await;
                step = poll.on_answer(started.elapsed(), answer);
            }
            Step::Done(token) => break Ok(*token),
            Step::Fail(e) => break Err(e),
        }
    };
    ui.done();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EntraError;
    use crate::secret::Secret;

    fn auth(interval: Option<u64>, expires_in: u64) -> DeviceAuthorization {
        DeviceAuthorization {
            device_code: Secret::new("DC"),
            user_code: "ABC".into(),
            verification_uri: "https://microsoft.com/devicelogin".into(),
            expires_in,
            interval,
            message: None,
        }
    }

    fn refused(error: &str) -> Result<TokenResponse> {
        let body = format!(r#"{{"error":"{error}","error_codes":[70016]}}"#);
        Err(Error::Refused {
            what: "x",
            entra: Box::new(EntraError::from_body(400, body.as_bytes()).unwrap()),
            client_request_id: None,
        })
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn wait_of(step: Step) -> Duration {
        match step {
            Step::Wait(d) => d,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    fn fail_of(step: Step) -> Error {
        match step {
            Step::Fail(e) => e,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn device_code_starts_with_the_server_interval_or_five_seconds() {
        assert_eq!(
            wait_of(DevicePoll::new(&auth(Some(3), 900)).start(secs(0))),
            secs(3)
        );
        assert_eq!(
            wait_of(DevicePoll::new(&auth(None, 900)).start(secs(0))),
            secs(5)
        );
        assert_eq!(
            wait_of(DevicePoll::new(&auth(Some(0), 900)).start(secs(0))),
            secs(5)
        );
    }

    #[test]
    fn device_code_server_numbers_are_clamped_without_overflow() {
        let mut p = DevicePoll::new(&auth(Some(u64::MAX), u64::MAX));
        assert_eq!(p.expires(), MAX_WAIT);
        assert_eq!(wait_of(p.start(secs(0))), MAX_INTERVAL);
        assert_eq!(
            wait_of(p.on_answer(secs(60), refused("slow_down"))),
            MAX_INTERVAL,
            "slow_down never goes past the cap"
        );
        let e = fail_of(p.on_answer(Duration::MAX, refused("authorization_pending")));
        assert_eq!(e.kind(), crate::ErrorKind::SignIn);
    }

    #[test]
    fn device_code_pending_keeps_the_interval() {
        let mut p = DevicePoll::new(&auth(Some(5), 900));
        for t in [5, 10, 15] {
            assert_eq!(
                wait_of(p.on_answer(secs(t), refused("authorization_pending"))),
                secs(5)
            );
        }
    }

    #[test]
    fn device_code_slow_down_adds_five_seconds() {
        let mut p = DevicePoll::new(&auth(Some(5), 900));
        assert_eq!(
            wait_of(p.on_answer(secs(5), refused("slow_down"))),
            secs(10)
        );
        assert_eq!(
            wait_of(p.on_answer(secs(15), refused("authorization_pending"))),
            secs(10)
        );
        assert_eq!(
            wait_of(p.on_answer(secs(25), refused("slow_down"))),
            secs(15)
        );
    }

    #[test]
    fn device_code_declined_bad_code_and_expired_end_with_exit_5() {
        for (error, text) in [
            ("authorization_declined", "declined"),
            ("access_denied", "declined"),
            ("bad_verification_code", "did not recognise"),
            ("expired_token", "expired"),
            ("code_expired", "expired"),
        ] {
            let e =
                fail_of(DevicePoll::new(&auth(Some(5), 900)).on_answer(secs(5), refused(error)));
            assert_eq!(e.kind(), crate::ErrorKind::SignIn, "{error}");
            assert!(e.to_string().contains(text), "{error}: {e}");
        }
    }

    #[test]
    fn device_code_gives_up_at_expires_in() {
        let mut p = DevicePoll::new(&auth(Some(5), 12));
        assert_eq!(
            wait_of(p.on_answer(secs(5), refused("authorization_pending"))),
            secs(5)
        );
        let e = fail_of(p.on_answer(secs(10), refused("authorization_pending")));
        assert_eq!(e.kind(), crate::ErrorKind::SignIn);
        assert!(e.to_string().contains("expired after 12s"), "{e}");
        assert!(matches!(
            DevicePoll::new(&auth(Some(5), 4)).start(secs(0)),
            Step::Fail(_)
        ));
    }

    #[test]
    fn device_code_other_refusals_pass_through_as_refusals() {
        let e = fail_of(
            DevicePoll::new(&auth(Some(5), 900)).on_answer(secs(5), refused("invalid_client")),
        );
        assert_eq!(e.kind(), crate::ErrorKind::Refused);
        let e = fail_of(
            DevicePoll::new(&auth(Some(5), 900))
                .on_answer(secs(5), Err(Error::transport("x", None))),
        );
        assert_eq!(e.kind(), crate::ErrorKind::Transport);
    }

    #[test]
    fn device_code_success_is_done() {
        let token = TokenResponse {
            token_type: "Bearer".into(),
            access_token: Secret::new("AT"),
            expires_in: 1,
            expires_on: 1,
            ext_expires_in: None,
            scope: None,
            resource: None,
            refresh_token: None,
            id_token: None,
        };
        assert!(matches!(
            DevicePoll::new(&auth(Some(5), 900)).on_answer(secs(5), Ok(token)),
            Step::Done(_)
        ));
    }
}
