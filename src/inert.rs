//! Text from outside made inert for a terminal: C0 and C1 control characters (ESC, BEL,
//! CR, LF, DEL, CSI, …) are shown escaped, so a server's `error_description`, a device
//! code `message` or a decoded claim cannot move the cursor, retitle the window or forge
//! lines.

use std::borrow::Cow;

/// `text` with every control character escaped (`\u{1b}`, `\n`, …); unchanged, and not
/// copied, when it has none.
pub fn inert(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// True when `token` could be written into a header, `$GITHUB_ENV` or a `##vso` command
/// as it is: not empty, no whitespace, no control characters.
pub fn is_token_text(token: &str) -> bool {
    !token.is_empty() && !token.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(inert("plain: AADSTS7000215 é"), "plain: AADSTS7000215 é");
        assert!(matches!(inert("plain"), Cow::Borrowed(_)));
        assert_eq!(inert("a\u{1b}[2Jb\u{7}"), "a\\u{1b}[2Jb\\u{7}");
        assert_eq!(inert("x\r\ny"), "x\\r\\ny");
        assert_eq!(inert("c1\u{9b}31m"), "c1\\u{9b}31m");
        assert_eq!(inert("del\u{7f}"), "del\\u{7f}");
    }

    #[test]
    fn tokens_are_single_words() {
        assert!(is_token_text("eyJ0.eyJ1.sig-_"));
        assert!(!is_token_text(""));
        assert!(!is_token_text("a b"));
        assert!(!is_token_text("a\nb"));
        assert!(!is_token_text("a\u{1b}b"));
        assert!(!is_token_text("a\u{a0}b"));
    }
}
