//! Everything printed is untrusted input: a scanned line may hold ANSI escape sequences that
//! repaint a terminal, or bidi controls that reorder what a reviewer sees. Invalid UTF-8 is
//! shown as `\xNN`.

/// Escapes control characters and invalid UTF-8 in `bytes` for display.
pub fn display(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_char(&mut out, c);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Escapes control characters in a string for display.
pub fn display_str(s: &str) -> String {
    display(s.as_bytes())
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\t' => out.push(' '),
        c if c.is_control() || is_bidi_control(c) => {
            let n = c as u32;
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:04x}}}"));
            }
        }
        c => out.push(c),
    }
}

/// Bidirectional controls used in "Trojan Source" attacks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_table() {
        let cases: &[(&[u8], &str)] = &[
            (b"plain", "plain"),
            (b"a\x1b[31mred", "a\\x1b[31mred"),
            (b"tab\there", "tab here"),
            (b"bad\xffbyte", "bad\\xffbyte"),
            ("rtl\u{202e}x".as_bytes(), "rtl\\u{202e}x"),
            (b"cr\r", "cr\\x0d"),
        ];
        for (input, want) in cases {
            assert_eq!(display(input), *want);
        }
    }
}
