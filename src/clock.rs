//! Wall-clock time in Unix seconds, behind a trait so that flows can be tested instantly.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
