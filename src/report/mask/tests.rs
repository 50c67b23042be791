//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

fn phi(span: Range<usize>) -> MaskSpan {
    MaskSpan {
        span,
        category: Category::Phi,
        reveal_prefix: 0,
        tail: true,
    }
}

/// The excerpt of the value `focus` (one of `spans`, whose category it takes).
fn ex(text: &[u8], focus: Range<usize>, spans: &[MaskSpan]) -> String {
    let category = spans
        .iter()
        .find(|s| s.span == focus)
        .map_or(Category::Phi, |s| s.category);
    excerpt(text, focus, category, &Masks::new(spans.to_vec()))
}

#[test]
fn masks_phi_whole_unless_long() {
    let text = b"ssn: 536-90-4399\n";
    assert_eq!(ex(text, 5..16, &[phi(5..16)]), "ssn: ***********");
    let text = b"member: ZXW4471923ABC7\n";
    assert_eq!(ex(text, 8..22, &[phi(8..22)]), "member: ************C7");
}

#[test]
fn masks_secret_to_prefix() {
    let text = b"key = AKIAQYLPMN5HFIQR7XYZ";
    let s = MaskSpan {
        span: 6..26,
        category: Category::Secret,
        reveal_prefix: 4,
        tail: false,
    };
    assert_eq!(ex(text, 6..26, &[s]), "key = AKIA****************");
}

#[test]
fn masks_every_value_on_the_line_and_cuts_long_lines() {
    let mut text = vec![b'x'; 200];
    text.extend_from_slice(b" 536-90-4399 and 772-10-4567 ");
    text.extend(vec![b'y'; 200]);
    let a = 201..212;
    let b = 217..228;
    let e = ex(&text, a.clone(), &[phi(a), phi(b)]);
    assert!(e.starts_with('…') && e.ends_with('…'));
    assert!(e.contains(" *********** and *********** "), "{e}");
    assert!(!e.contains("536") && !e.contains("4567"));
}

#[test]
fn short_values_keep_nothing_or_at_most_half() {
    let mut v = b"1234".to_vec();
    mask_value(&mut v, &phi(0..0));
    assert_eq!(v, b"****");
    let mut v = b"04/12/1961".to_vec();
    mask_value(&mut v, &phi(0..0));
    assert_eq!(v, b"**********");
    let mut v = b"ghp_".to_vec();
    mask_value(
        &mut v,
        &MaskSpan {
            span: 0..0,
            category: Category::Secret,
            reveal_prefix: 4,
            tail: false,
        },
    );
    assert_eq!(v, b"gh**");
}

#[test]
fn labels_are_sorted_lower_case_and_short() {
    assert!(LABELS.is_sorted());
    assert!(
        LABELS
            .iter()
            .all(|w| w.len() <= 24 && !w.iter().any(u8::is_ascii_uppercase))
    );
}

/// The excerpt of a PHI value in each shape a record takes shows the labels around it and no
/// other token of the row (issue 24: names, MRNs and dates beside a masked SSN were printed).
#[test]
fn a_phi_excerpt_shows_labels_and_no_other_token_of_the_row() {
    let rows: &[(&[u8], &[&str], &[&str])] = &[
        (
            b"INSERT INTO patients VALUES ('George', 'Carpenter', '536-90-4399', 'MR9217716', DATE '1938-01-28');",
            &["George", "Carpenter", "MR9217716", "1938", "01-28"],
            &["INTO", "VALUES", "DATE"],
        ),
        (
            b"MR4410027,Rosa,Ortega,1961-04-12,536-90-4399,(617) 555-0142,\"12 Elm Street\",02139",
            &["MR4410027", "Rosa", "Ortega", "1961", "617", "0142", "Elm", "02139"],
            &[],
        ),
        (
            b"PID|1|536-90-4399|MR4410027^^^HOSP^MR||ORTEGA^ROSA||19610412|F|||12 ELM ST^^BOSTON",
            &["MR4410027", "ORTEGA", "ROSA", "19610412", "ELM"],
            &["PID|"],
        ),
        (
            br#"{"name": [{"family": "Ortega", "given": ["Rosa"]}], "ssn": "536-90-4399", "birthDate": "1961-04-12"}"#,
            &["Ortega", "Rosa", "1961"],
            &["family\":", "\"birthDate\":", "\"ssn\":"],
        ),
        (
            br#"<patient><name><given>Rosa</given><family>Ortega</family></name><id extension="536-90-4399" root="2.16.840.1.113883.4.1"/><birthTime value="19610412"/>"#,
            &["Rosa", "Ortega", "19610412", "113883"],
            &["<family>", "extension=", "<birthTime value"],
        ),
        (
            b"2024-03-02 12:01:55 INFO lookup patient Rosa Ortega ssn=536-90-4399 dob=1961-04-12 mrn=MR4410027",
            &["2024", "12:01", "Rosa", "Ortega", "1961", "MR4410027"],
            &["patient", "ssn=", "dob="],
        ),
        (
            b"Patient Rosa Ortega (SSN 536-90-4399) was seen on 03/02/2024 by Dr. Welby.",
            &["Rosa", "Ortega", "03/02", "2024", "Welby"],
            &["Patient", "SSN"],
        ),
    ];
    for (row, hidden, shown) in rows {
        let at = memchr::memmem::find(row, b"536-90-4399").unwrap();
        let e = ex(row, at..at + 11, &[phi(at..at + 11)]);
        for h in *hidden {
            assert!(!e.contains(h), "{h:?} shown in {e:?}");
        }
        for s in *shown {
            assert!(e.contains(s), "{s:?} missing from {e:?}");
        }
        assert!(!e.contains("536") && !e.contains("4399"), "{e}");
    }
}

#[test]
fn a_secret_excerpt_keeps_the_words_around_it() {
    let text = b"aws_access_key_id = AKIAQYLPMN5HFIQR7XYZ # account 1234 for Rosa";
    let s = MaskSpan {
        span: 20..40,
        category: Category::Secret,
        reveal_prefix: 4,
        tail: false,
    };
    assert_eq!(
        ex(text, 20..40, &[s]),
        "aws_access_key_id = AKIA**************** # account 1234 for Rosa"
    );
}

/// The overlap index finds exactly the values a filter over all of them finds.
#[test]
fn masks_find_what_a_filter_finds() {
    let mut seed = 0x9e37_79b9_u64;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    for _ in 0..500 {
        let spans: Vec<MaskSpan> = (0..next(40))
            .map(|_| {
                let start = next(300);
                phi(start..start + next(60))
            })
            .collect();
        let masks = Masks::new(spans.clone());
        for _ in 0..20 {
            let a = next(320);
            let window = a..a + next(80) + 1;
            let mut found = Vec::new();
            masks.overlapping(window.clone(), &mut |s| found.push(s.span.clone()));
            let mut want: Vec<Range<usize>> = spans
                .iter()
                .filter(|s| s.span.start < window.end && s.span.end > window.start)
                .map(|s| s.span.clone())
                .collect();
            want.sort_by_key(|r| (r.start, r.end));
            found.sort_by_key(|r| (r.start, r.end));
            assert_eq!(found, want);
        }
    }
}

/// The excerpt found near the focus is the one cut from the whole line: around the focus, at
/// the start and end of a text, with CRLF, and with multi-byte characters at the window edge.
#[test]
fn the_window_is_the_one_cut_from_the_whole_line() {
    let secret = |span: Range<usize>| MaskSpan {
        span,
        category: Category::Secret,
        reveal_prefix: 4,
        tail: false,
    };
    for pad in [0usize, 1, 40, 47, 48, 49, 50, 51, 52, 53, 60, 200] {
        for tail in ["", "\n", "\r\n", "\r\nnext line"] {
            for fill in ["x", "é"] {
                let mut text = fill.repeat(pad).into_bytes();
                let at = text.len();
                text.extend_from_slice(b"AKIAQYLPMN5HFIQR7XYZ");
                text.extend_from_slice(fill.repeat(pad).as_bytes());
                text.extend_from_slice(tail.as_bytes());
                let focus = at..at + 20;
                let e = ex(&text, focus.clone(), &[secret(focus.clone())]);
                let line = line_of(&text, at);
                let masked = mask_all(
                    &text[line.clone()],
                    &[secret(at - line.start..focus.end - line.start)],
                );
                let rel = at - line.start;
                let from = floor_char(&masked, rel.saturating_sub(WINDOW));
                let to = ceil_char(&masked, (rel + 20 + WINDOW).min(masked.len()));
                let mut want = String::new();
                if from > 0 {
                    want.push('…');
                }
                want.push_str(sanitize::display(&masked[from..to]).trim());
                if to < masked.len() {
                    want.push('…');
                }
                assert_eq!(e, want, "pad {pad} tail {tail:?} fill {fill}");
            }
        }
    }
}

fn line_of(text: &[u8], at: usize) -> Range<usize> {
    let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let mut end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
    if end > start && text[end - 1] == b'\r' {
        end -= 1;
    }
    start..end
}

/// Issue 24: a labelled ZIP+4 showed its last 2 digits (the match holds the label, so it had
/// 12 letters and digits).
#[test]
fn a_labelled_zip_plus_4_is_masked_whole() {
    let text = b"zip: 02139-4307\n";
    let zip = MaskSpan {
        span: 0..15,
        category: Category::Phi,
        reveal_prefix: 0,
        tail: false,
    };
    assert_eq!(
        ex(text, 0..15, std::slice::from_ref(&zip)),
        "***************"
    );
    assert_eq!(mask_all(text, &[zip]), b"***************\n");
}
