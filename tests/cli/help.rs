//! `--help` is documentation: snapshot-tested, with EXAMPLES for every command.

use crate::support::*;

const COMMANDS: [&str; 11] = [
    "client-credentials",
    "cert-assertion",
    "device-code",
    "auth-code",
    "refresh",
    "admin-consent",
    "managed-identity",
    "decode",
    "cache",
    "completions",
    "cache clear",
];

fn help(args: &[&str]) -> String {
    let sb = Sandbox::new();
    let r = run(sb.cmd().args(args).env("COLUMNS", "100"));
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    assert_eq!(r.stderr, "");
    r.stdout
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!("help", help(&["--help"]));
    insta::assert_snapshot!("help_short", help(&["-h"]));
}

#[test]
fn every_command_help_is_snapshotted_and_has_examples() {
    for cmd in COMMANDS {
        let mut args: Vec<&str> = cmd.split(' ').collect();
        args.push("--help");
        let text = help(&args);
        if cmd != "cache clear" {
            assert!(
                text.contains("\nEXAMPLES:\n"),
                "{cmd} --help has no EXAMPLES"
            );
        }
        insta::assert_snapshot!(format!("help_{}", cmd.replace(' ', "_")), text);
    }
}

#[test]
fn short_help_is_short() {
    let long = help(&["client-credentials", "--help"]);
    let short = help(&["client-credentials", "-h"]);
    assert!(short.len() < long.len());
    assert!(!short.contains("EXAMPLES"));
    assert!(
        long.contains("There is deliberately no\n") || long.contains("There is deliberately no ")
    );
    assert!(!short.contains("There is deliberately no"));
}

#[test]
fn version() {
    assert_eq!(
        help(&["--version"]),
        format!("entra-token {}\n", env!("CARGO_PKG_VERSION"))
    );
}

fn help_at(width: u16, args: &[&str]) -> String {
    let sb = Sandbox::new();
    let r = run(sb.cmd().args(args).env("COLUMNS", width.to_string()));
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r.stdout
}

#[test]
fn examples_are_copyable_at_any_width() {
    for cmd in COMMANDS.iter().filter(|c| **c != "cache clear") {
        let examples = |w| {
            let text = help_at(w, &[cmd, "--help"]);
            let at = text
                .find("\nEXAMPLES:\n")
                .unwrap_or_else(|| panic!("{cmd}: no EXAMPLES"));
            text[at..].to_owned()
        };
        let (narrow, middle, wide) = (examples(60), examples(80), examples(200));
        for (w, text) in [(60, &narrow), (80, &middle)] {
            for (i, (a, b)) in text.lines().zip(wide.lines()).enumerate() {
                assert_eq!(a, b, "{cmd}: EXAMPLES line {i} differs at width {w}");
            }
            assert_eq!(text.lines().count(), wide.lines().count(), "{cmd} at {w}");
        }
        // Each command line of an example is one line: none continues on the next.
        for line in wide.lines().filter(|l| l.starts_with("    entra-token")) {
            assert!(!line.trim_end().ends_with('|'), "{cmd}: {line}");
        }
    }
    let short = help_at(60, &["client-credentials", "-h"]);
    assert!(!short.contains("EXAMPLES"));
    let via_help = help_at(80, &["help", "device-code"]);
    assert!(via_help.contains("\nEXAMPLES:\n"), "{via_help}");
}
