//! Wall-clock time in Unix seconds, behind a trait so that flows can be tested instantly.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current Unix time in seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// "15m", "1h 30m", "45s", "2d 3h".
pub fn human(d: std::time::Duration) -> String {
    let s = d.as_secs();
    let (days, h, m, sec) = (s / 86_400, (s % 86_400) / 3600, (s % 3600) / 60, s % 60);
    match (days, h, m, sec) {
        (0, 0, 0, sec) => format!("{sec}s"),
        (0, 0, m, 0) => format!("{m}m"),
        (0, 0, m, sec) => format!("{m}m {sec}s"),
        (0, h, 0, _) => format!("{h}h"),
        (0, h, m, _) => format!("{h}h {m}m"),
        (d, 0, _, _) => format!("{d}d"),
        (d, h, _, _) => format!("{d}d {h}h"),
    }
}

/// A duration as people write it: seconds (`300`), or a number with `s`, `m` or `h`
/// (`90s`, `5m`, `1h`); `None` for anything else, or a number of seconds past `u64`.
pub fn parse_duration(text: &str) -> Option<u64> {
    let t = text.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1),
        Some((i, 'm')) => (&t[..i], 60),
        Some((i, 'h')) => (&t[..i], 3600),
        _ => (t, 1),
    };
    let num = num.trim();
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    num.parse::<u64>().ok()?.checked_mul(mult)
}

/// `YYYY-MM-DD HH:MM:SS` in UTC (proleptic Gregorian calendar).
pub fn format_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// Unix seconds of a UTC civil date and time (proleptic Gregorian), or `None` when a
/// field is out of range.
pub fn unix_from_civil(y: i64, m: u32, d: u32, hh: u32, mm: u32, ss: u32) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss))
}

/// RFC 3339 in UTC with seconds: `2026-01-01T12:00:00Z`.
pub fn format_rfc3339(unix: i64) -> String {
    format_utc(unix).replacen(' ', "T", 1) + "Z"
}

/// "in 47m" or "3h ago" for a moment relative to `now`.
pub fn relative(at: i64, now: i64) -> String {
    let d = std::time::Duration::from_secs(at.abs_diff(now));
    if at == now {
        "just now".to_owned()
    } else if at > now {
        format!("in {}", human(d))
    } else {
        format!("{} ago", human(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::time::Duration;

    proptest! {
        #[test]
        fn durations_never_panic_and_round_trip(text in ".{0,40}", n in 0u64..=u64::MAX / 3600) {
            let _ = parse_duration(&text);
            prop_assert_eq!(parse_duration(&n.to_string()), Some(n));
            prop_assert_eq!(parse_duration(&format!("{n}s")), Some(n));
            prop_assert_eq!(parse_duration(&format!("{n}h")), Some(n * 3600));
        }

        #[test]
        fn durations_past_u64_are_refused_not_wrapped(n in (u64::MAX / 60 + 1)..=u64::MAX) {
            prop_assert_eq!(parse_duration(&format!("{n}m")), None);
        }
    }

    #[test]
    fn civil_dates_round_trip_through_unix_seconds() {
        for t in [
            0i64,
            951_782_400,
            1_561_000_678,
            1_700_000_000,
            4_102_444_800,
        ] {
            let s = format_utc(t);
            let (date, time) = s.split_once(' ').unwrap();
            let d: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
            let h: Vec<u32> = time.split(':').map(|x| x.parse().unwrap()).collect();
            assert_eq!(
                unix_from_civil(d[0], d[1] as u32, d[2] as u32, h[0], h[1], h[2]),
                Some(t)
            );
        }
        assert_eq!(unix_from_civil(2020, 13, 1, 0, 0, 0), None);
        assert_eq!(format_rfc3339(1_767_268_800), "2026-01-01T12:00:00Z");
    }

    #[test]
    fn durations_take_seconds_minutes_and_hours() {
        assert_eq!(parse_duration("300"), Some(300));
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("1h"), Some(3600));
        assert_eq!(parse_duration("5 minutes"), None);
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration("+1"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn utc_dates_are_right_around_epochs_and_leap_days() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00");
        assert_eq!(format_utc(978_307_200), "2001-01-01 00:00:00");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13:20");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59");
    }

    #[test]
    fn human_and_relative_durations() {
        assert_eq!(human(Duration::from_secs(900)), "15m");
        assert_eq!(human(Duration::from_secs(45)), "45s");
        assert_eq!(human(Duration::from_secs(125)), "2m 5s");
        assert_eq!(human(Duration::from_secs(5400)), "1h 30m");
        assert_eq!(human(Duration::from_secs(90_000)), "1d 1h");
        assert_eq!(relative(1000 + 47 * 60, 1000), "in 47m");
        assert_eq!(relative(1000, 1000 + 3 * 3600), "3h ago");
    }
}
