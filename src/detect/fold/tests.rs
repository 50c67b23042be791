use super::{Folded, fold};
use proptest::prelude::*;

fn whole(text: &str) -> Option<Folded> {
    fold(text.as_bytes(), std::slice::from_ref(&(0..text.len())))
}

/// The folded copy with its padding cut from each token's end, as a string.
fn folded(text: &str) -> String {
    let f = whole(text).expect("something to fold");
    String::from_utf8(f.text().to_vec()).unwrap()
}

/// What a reader sees, character by character: the oracle [`fold`] is held to. Tokens are
/// split on ASCII white space, each character mapped on its own, and each token padded back
/// to its length.
fn oracle(text: &str) -> String {
    let mut out = String::new();
    let mut token = String::new();
    let mut token_len = 0;
    let flush = |out: &mut String, token: &mut String, len: &mut usize| {
        let had = token.chars().any(|c| map(c) != Some(Some(c)));
        if had {
            let folded: String = token.chars().filter_map(|c| map(c).unwrap()).collect();
            out.push_str(&folded);
            out.extend(std::iter::repeat_n(' ', *len - folded.len()));
        } else {
            out.push_str(token);
        }
        token.clear();
        *len = 0;
    };
    for c in text.chars() {
        if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C') {
            flush(&mut out, &mut token, &mut token_len);
            out.push(c);
        } else {
            token.push(c);
            token_len += c.len_utf8();
        }
    }
    flush(&mut out, &mut token, &mut token_len);
    out
}

/// The oracle's map of one character: `Some(Some(c))` kept or folded to `c`, `Some(None)`
/// dropped.
fn map(c: char) -> Option<Option<char>> {
    let cp = c as u32;
    Some(match cp {
        0x2010..=0x2015 | 0x2043 | 0x2212 | 0xFE58 | 0xFE63 => Some('-'),
        0xA0 | 0x2000..=0x200A | 0x202F | 0x205F | 0x3000 => Some(' '),
        0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0),
        0x1D7CE..=0x1D7FF => char::from_digit((cp - 0x1D7CE) % 10, 10),
        // Other scripts' decimal digits, by the standard library's own reading of them.
        0x80.. if c.is_numeric() && script_digit_value(c).is_some() => {
            char::from_digit(script_digit_value(c).unwrap(), 10)
        }
        0xB9 => Some('1'),
        0xB2 => Some('2'),
        0xB3 => Some('3'),
        0x2070 => Some('0'),
        0x2074..=0x2079 => char::from_digit(cp - 0x2070, 10),
        0x2080..=0x2089 => char::from_digit(cp - 0x2080, 10),
        0x2460..=0x2468 => char::from_digit(cp - 0x245F, 10),
        0x24F5..=0x24FD => char::from_digit(cp - 0x24F4, 10),
        0x2776..=0x277E => char::from_digit(cp - 0x2775, 10),
        0x2780..=0x2788 => char::from_digit(cp - 0x277F, 10),
        0x278A..=0x2792 => char::from_digit(cp - 0x2789, 10),
        0x24EA | 0x24FF | 0x1F10B | 0x1F10C => Some('0'),
        0xFE00..=0xFE0F | 0x20DD..=0x20E4 => None,
        0xAD | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF => {
            None
        }
        _ => Some(c),
    })
}

/// The value of a decimal digit of a script other than Latin, as Unicode's `Nd` digits run
/// (ten in a row from a zero): found by walking back to the zero of its run, independently
/// of the table `fold` reads. Full-width and mathematical digits are mapped above.
fn script_digit_value(c: char) -> Option<u32> {
    let cp = c as u32;
    if (0xFF10..=0xFF19).contains(&cp) || (0x1D7CE..=0x1D7FF).contains(&cp) {
        return None;
    }
    // A digit's run: the code points before it back to a zero are digits too, and the run
    // is at most ten long. `char::is_numeric` is true for every `Nd`, `Nl` and `No` code
    // point, so the run must be ten numerics from a zero that starts a block of ten.
    (0..10).find_map(|back| {
        let zero = char::from_u32(cp.checked_sub(back)?)?;
        let run = (0..10).all(|k| {
            char::from_u32(zero as u32 + k).is_some_and(|d| d.is_numeric() && !d.is_ascii())
        });
        (run && DIGIT_ZEROS.contains(&(zero as u32))).then_some(back)
    })
}

/// Digit zeros of other scripts, written out from Unicode's names (ARABIC-INDIC DIGIT ZERO,
/// DEVANAGARI DIGIT ZERO, ...) for the oracle: a sample across the planes, not the table.
const DIGIT_ZEROS: &[u32] = &[
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0BE6, 0x0E50, 0x0F20, 0x1040, 0x17E0, 0x1810, 0xA9D0,
    0x104A0, 0x11066, 0x1E950, 0x1FBF0,
];

#[test]
fn look_alike_characters_fold_to_ascii_in_place() {
    let cases = [
        ("SSN 219\u{2013}45\u{2013}6781 ok", "SSN 219-45-6781     ok"),
        ("SSN 219\u{2011}45\u{2011}6781", "SSN 219-45-6781    "),
        ("SSN 219\u{2212}45\u{2212}6781", "SSN 219-45-6781    "),
        ("SSN 219\u{a0}45\u{a0}6781", "SSN 219 45 6781  "),
        (
            "SSN\u{ff1a}\u{ff12}\u{ff11}\u{ff19}\u{ff0d}\u{ff14}\u{ff15}",
            "SSN:219-45              ",
        ),
        ("x 219-4\u{200b}5-67\u{ad}81\n", "x 219-45-6781     \n"),
        ("\u{1d7d0}\u{1d7e3}\u{1d7ff}", "219         "),
        ("a\u{202e}b\u{2066}c", "abc      "),
        // Superscript, subscript and circled digits, keycap emoji.
        ("\u{b2}\u{b9}\u{2079}\u{2084}", "2194      "),
        (
            "\u{2461}\u{2460}\u{2468}\u{24ea}\u{2777}\u{278a}\u{2792}",
            "2190219              ",
        ),
        ("2\u{fe0f}\u{20e3}1\u{fe0f}\u{20e3}", "21            "),
        // Other scripts' digits: Arabic-Indic, Persian, Devanagari, Bengali, Thai, Adlam.
        (
            "ssn:\u{665}\u{663}\u{666}-\u{669}\u{660}",
            "ssn:536-90     ",
        ),
        ("\u{6f5}\u{6f3}\u{6f6}", "536   "),
        ("\u{96b}\u{969}\u{96c}-\u{9e9}", "536-3        "),
        ("\u{e55}\u{e53}\u{e56}", "536      "),
        ("\u{1e955}\u{1e959}", "59      "),
        // Those scripts' letters stay.
        (
            "\u{627}\u{665} \u{915}\u{e01}\u{966}",
            "\u{627}5  \u{915}\u{e01}0  ",
        ),
    ];
    // Escapes of the same characters (Python's `json.dumps` writes every non-ASCII
    // character so) and of a value's ASCII characters; an escape of a character that is
    // neither, or of one that makes structure (quotes, brackets, `<`, `&`), stays.
    let escaped = [
        (
            r#""ssn": "219\u201345\u20136781","#,
            r#""ssn": "219-45-6781",          "#,
        ),
        (
            r"x=\uff12\uff11\u00a0\u200b9 ",
            "x=21 9                      ",
        ),
        (
            r#""ssn": "219\u002d45\u002D6781""#,
            r#""ssn": "219-45-6781"          "#,
        ),
        (
            r"219\u{2d}45\U0000002d6781 \x32\x31\x39\055",
            "219-45-6781               219-            ",
        ),
        (r#""dob":"03\/14\/1980""#, r#""dob":"03/14/1980"  "#),
        ("?ssn=219%2D45%2d6781&x", "?ssn=219-45-6781&x    "),
        ("219%E2%80%9345%C2%A06781", "219-45 6781             "),
        (r"219\xe2\x80\x9345", "219-45           "),
        (
            "<td>219&#45;45&#x2D;6781</td>",
            "<td>219-45-6781</td>         ",
        ),
        (
            "219&ndash;45&nbsp;6781&shy;0",
            "219-45 67810                ",
        ),
        ("MRN&#58;&#32;4001&#8209;2", "MRN: 4001-2              "),
        (r"\u0665\u0663&#x666;", "536                "),
        (
            r"\u002d \u00e9 \u201c \uzzzz \u20 \u0022 \u003c",
            r"-      \u00e9 \u201c \uzzzz \u20 \u0022 \u003c",
        ),
    ];
    // None of these is an escape the fold takes: each text is left as it is.
    for text in [
        r#"&amp; &lt; &#60; &#x22; &#; &#x; &bogus; &#12345678; &ndash &#4545"#,
        r#"%zz %2 %E2 %E2%80 %80%93 %22 %3C %25 100%"#,
        r#"\u0022 \u{} \u{1234567} \x \xzz \x22 \277 \07 \\ \n \t C:\Users"#,
    ] {
        assert_eq!(whole(text), None, "{text:?}");
    }
    for (text, want) in escaped {
        let got = match whole(text) {
            Some(f) => String::from_utf8(f.text().to_vec()).unwrap(),
            None => text.to_owned(),
        };
        assert_eq!(got, want, "{text:?}");
        assert_eq!(got.len(), text.len());
    }
    for (text, want) in cases {
        let got = folded(text);
        assert_eq!(got, want, "{text:?}");
        assert_eq!(got.len(), text.len());
        assert_eq!(got, oracle(text), "{text:?}");
    }
}

/// A combining mark on a digit or a separator (`5̲3̲6̲`, underlined) is dropped; on a letter
/// (`é` written as `e` and U+0301) it is the letter's, and stays.
#[test]
fn combining_marks_on_digits_are_dropped_and_on_letters_kept() {
    assert_eq!(
        folded("SSN 2\u{332}1\u{332}\u{333}9\u{332}-\u{332}4"),
        "SSN 219-4          "
    );
    assert_eq!(whole("Jose\u{301} Garci\u{301}a"), None);
    // Stacked marks are looked through only eight deep: a tenth mark is kept.
    let stacked = format!("9{}", "\u{332}".repeat(10));
    assert_eq!(folded(&stacked), format!("9\u{332}{}", " ".repeat(18)));
}

#[test]
fn text_without_look_alikes_in_its_regions_is_not_copied() {
    assert_eq!(whole("plain ASCII 219-45-6781"), None);
    assert_eq!(whole("Müller “quoted” 山田 ✓"), None);
    // Outside the added regions a look-alike does not make a copy.
    let text = "old 219\u{2013}45\u{2013}6781\nnew line\n";
    let new = text.find("new").unwrap();
    assert_eq!(
        fold(text.as_bytes(), std::slice::from_ref(&(new..text.len()))),
        None
    );
    assert!(fold(text.as_bytes(), std::slice::from_ref(&(0..new))).is_some());
}

/// A file saved with a byte order mark starts as its document in the copy, whichever of
/// its lines are added.
#[test]
fn a_leading_byte_order_mark_is_dropped_whatever_is_added() {
    let text = "\u{feff}{\n  \"resourceType\": \"Organization\"\n}\n";
    let last = text.rfind('}').unwrap();
    for regions in [None, Some(last..text.len()), Some(0..text.len())] {
        let regions: Vec<_> = regions.into_iter().collect();
        let f = fold(text.as_bytes(), &regions).expect("folded");
        assert!(f.text().starts_with(b"{   \n"), "{regions:?}");
        assert_eq!(&f.text()[6..], &text.as_bytes()[6..]);
    }
    assert_eq!(fold(b"{\"a\": \"\xEF\xBB\xBF\"}", &[]), None);
}

#[test]
fn offsets_map_back_to_the_characters_they_came_from() {
    let text = "id=\u{ff12}\u{ff11}9\u{2013}45\u{200b}\u{2013}6781, next 555\u{2010}0199\n";
    let f = whole(text).unwrap();
    let copy = std::str::from_utf8(f.text()).unwrap();
    for (value, original) in [
        (
            "219-45-6781",
            "\u{ff12}\u{ff11}9\u{2013}45\u{200b}\u{2013}6781",
        ),
        ("555-0199", "555\u{2010}0199"),
        ("next", "next"),
    ] {
        let at = copy.find(value).unwrap();
        let span = f.original_span(&(at..at + value.len()));
        assert_eq!(&text[span], original);
    }
    // The padding maps to the token's end; the rest of the text is where it was.
    let pad = copy.find(",").unwrap() + 1;
    let token_end = text.find(' ').unwrap();
    assert_eq!(f.original(pad), token_end);
    assert_eq!(f.original(text.len()), text.len());
    assert_eq!(f.original(token_end + 1), token_end + 1);
}

proptest! {
    /// Against the character-by-character oracle, on strings drawn from ASCII, white space,
    /// every foldable character and other non-ASCII text; every offset maps back monotonely
    /// into the text, and the copy keeps the text's lines.
    #[test]
    fn fold_is_the_oracle(chars in proptest::collection::vec(prop_oneof![
        Just('a'), Just('7'), Just('-'), Just(' '), Just('\n'), Just('\t'),
        Just('\u{2013}'), Just('\u{a0}'), Just('\u{200b}'), Just('\u{ff17}'), Just('\u{ff0d}'),
        Just('\u{1d7ce}'), Just('\u{feff}'), Just('\u{3000}'), Just('é'), Just('“'), Just('山'),
        Just('\u{ff5f}'), Just('\u{2016}'), Just('\u{1d7cd}'),
        Just('\u{665}'), Just('\u{669}'), Just('\u{66a}'), Just('\u{65f}'), Just('\u{96f}'),
        Just('\u{970}'), Just('\u{e50}'), Just('\u{1e959}'), Just('\u{1e95a}'), Just('\u{627}'),
    ], 0..40)) {
        let text: String = chars.into_iter().collect();
        match whole(&text) {
            None => prop_assert_eq!(oracle(&text), text.clone()),
            Some(f) => {
                prop_assert_eq!(std::str::from_utf8(f.text()).unwrap(), oracle(&text));
                let lines = |s: &[u8]| s.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i).collect::<Vec<_>>();
                prop_assert_eq!(lines(f.text()), lines(text.as_bytes()));
                let mut last = 0;
                for p in 0..=text.len() {
                    let o = f.original(p);
                    prop_assert!(o >= last && o <= text.len() && o >= p);
                    last = o;
                }
            }
        }
    }
}

/// The escapes a text can be built from, each with what it folds to (`None`: not an
/// escape, kept). None of them joins its neighbour into another escape: each ends where a
/// reader's decoder ends it (a `;`, a fixed number of digits).
const ATOMS: &[(&str, Option<&str>)] = &[
    ("a", None),
    ("7", None),
    ("-", None),
    (r"\q", None),
    (r#"\""#, None),
    ("&quot;", None),
    ("&lt;", None),
    ("&amp;", None),
    ("%zz", None),
    (r"\u0022", None),
    ("&#60;", None),
    ("%E2", None),
    (r"\u00e9", None),
    (r"\u002d", Some("-")),
    (r"\u{2d}", Some("-")),
    (r"\x2d", Some("-")),
    (r"\055", Some("-")),
    (r"\/", Some("/")),
    ("%2D", Some("-")),
    ("%41", Some("A")),
    ("&#45;", Some("-")),
    ("&#x2d;", Some("-")),
    ("&ndash;", Some("-")),
    ("&nbsp;", Some(" ")),
    ("&shy;", Some("")),
    ("&#8203;", Some("")),
    ("%E2%80%93", Some("-")),
    (r"\xe2\x80\x93", Some("-")),
    (r"\u2013", Some("-")),
    ("\u{2013}", Some("-")),
    ("%u2013", Some("-")),
    (r"\u0026#45;", Some("-")),
    ("&amp;ndash;", Some("-")),
    ("%252D", Some("-")),
    (r"\\u002d", Some("-")),
    (r"\u003cb\u003e", Some("")),
    ("&lt;/b&gt;", Some("")),
];

proptest! {
    /// Against an oracle that knows each atom's decoding, on texts of atoms and white space:
    /// a token holding an escape is its atoms' decodings, padded; offsets map back into the
    /// text monotonely.
    #[test]
    fn escapes_fold_as_their_decoders_read_them(atoms in proptest::collection::vec(
        prop_oneof![(0..ATOMS.len()).prop_map(Some), Just(None)], 0..30)) {
        let (mut text, mut want, mut token, mut decoded, mut folds) =
            (String::new(), String::new(), String::new(), String::new(), false);
        let flush = |want: &mut String, token: &mut String, decoded: &mut String, folds: &mut bool| {
            if *folds {
                want.push_str(decoded);
                want.extend(std::iter::repeat_n(' ', token.len() - decoded.len()));
            } else {
                want.push_str(token);
            }
            token.clear();
            decoded.clear();
            *folds = false;
        };
        for atom in atoms {
            match atom.map(|k| ATOMS[k]) {
                None => {
                    flush(&mut want, &mut token, &mut decoded, &mut folds);
                    text.push(' ');
                    want.push(' ');
                }
                Some((written, reads)) => {
                    text.push_str(written);
                    token.push_str(written);
                    decoded.push_str(reads.unwrap_or(written));
                    folds |= reads.is_some();
                }
            }
        }
        flush(&mut want, &mut token, &mut decoded, &mut folds);
        match whole(&text) {
            None => prop_assert_eq!(&want, &text),
            Some(f) => {
                prop_assert_eq!(std::str::from_utf8(f.text()).unwrap(), want);
                let mut last = 0;
                for p in 0..=text.len() {
                    let o = f.original(p);
                    prop_assert!(o >= last && o <= text.len() && o >= p);
                    last = o;
                }
            }
        }
    }
}

/// Folding is one pass: a text of 4× as many tokens, each with look-alikes, costs 4× the
/// work, as does one token 4× as long.
#[test]
fn folding_takes_work_linear_in_the_text() {
    let work = |text: &str| {
        crate::work::take();
        let f = whole(text).unwrap();
        for p in (0..text.len()).step_by(97) {
            f.original(p);
        }
        crate::work::take()
    };
    for unit in [
        "219\u{2013}45\u{2013}6781 ",
        "\u{ff12}\u{200b}x",
        "x\\u2013y ",
        "219&#45;45%2D6781\\x2d ",
        "%E2%80%93&nbsp;",
    ] {
        let one = work(&unit.repeat(5_000));
        let four = work(&unit.repeat(20_000));
        assert!(
            one > 0 && four <= one * 4 + 64,
            "{unit:?}: {one} then {four}"
        );
    }
}

/// Text whose non-ASCII characters are not foldable (Japanese: a lead byte of the rarer
/// search on every character; code: a backslash on every escape) is searched once, with or
/// without a foldable character at its end: restarting the other search at each rare hit
/// went to the end of the text each time.
#[test]
fn searching_text_full_of_rare_lead_bytes_is_linear() {
    for (unit, last) in [
        ("患者の記録です", "\u{2013}"),
        ("रोगी का रिकॉर्ड ", "\u{96b}"),
        ("سجل المريض ", "\u{665}"),
        ("あいう", ""),
        ("a\\nb\\t", "\u{a0}"),
        ("if (a && b) x &= y % 10; &amp; %s ", "%2D"),
    ] {
        crate::work::assert_linear(unit, |n| {
            let text = format!("{}{last}", unit.repeat(n));
            crate::work::take();
            let _ = whole(&text);
            crate::work::take()
        });
    }
}

/// Inline tags that split a value are read through: Word's HTML (`</span><span lang=...>`,
/// a tag broken over a line), a C-CDA narrative's `<content styleCode="Bold">`, `<b>`; the
/// copy keeps every line end where it was. A tag with an attribute that may hold text, a
/// block tag, and a break stay.
#[test]
fn inline_tags_that_split_a_value_are_read_through() {
    // Each token read through its tags, padded to its length.
    let cases = [
        (
            "<td>SSN 219-<b>45</b>-6781</td>",
            "<td>SSN 219-45-6781</td>",
        ),
        (
            "<td><content styleCode=\"Bold\">219-45</content>-6781</td>",
            "<td>219-45-6781</td>",
        ),
        ("a<o:p></o:p>b <I>c</I>", "ab c"),
        (
            "<text:p>SSN 219-4<text:span text:style-name=\"T1\">5-6781</text:span></text:p>",
            "<text:p>SSN 219-45-6781</text:p>",
        ),
        // Written with escapes: a FHIR narrative in JSON (its attributes' quotes escaped),
        // PHP's `<\/b>`, Go's `\u003c`, a narrative escaped into XML.
        (
            r#""div":"<div>SSN 219-<span style=\"font-weight:bold\">45</span>-6781</div>""#,
            r#""div":"<div>SSN 219-45-6781</div>""#,
        ),
        (r#""n":"219-<b>45<\/b>-6781""#, r#""n":"219-45-6781""#),
        (
            r#""n":"219-\u003cb\u003e45\u003c/b\u003e-6781""#,
            r#""n":"219-45-6781""#,
        ),
        (
            "<text>219-&lt;content styleCode=&quot;Bold&quot;&gt;45&lt;/content&gt;-6781</text>",
            "<text>219-45-6781</text>",
        ),
    ];
    for (text, want) in cases {
        let got = folded(text);
        let squeezed: Vec<&str> = got.split(' ').filter(|t| !t.is_empty()).collect();
        assert_eq!(squeezed.join(" "), want, "{text:?}");
        assert_eq!(got.len(), text.len());
        assert!(got.starts_with(want.split(' ').next().unwrap()), "{got:?}");
    }
    assert_eq!(
        folded("a<o:p></o:p>b <I>c</I>"),
        format!("ab{} c{}", " ".repeat(11), " ".repeat(7))
    );
    // Word's HTML, a tag broken over a line: the value joined on the first line, the line end
    // where it was, the rest padding.
    let word = "SSN: <span style='font-size:11.0pt;font-family:\"Calibri\",sans-serif'>219-45-</span><span\nlang=EN-US style='font-size:11.0pt'>6781</span></p>";
    let line_end = word.find('\n').unwrap();
    let want = format!(
        "{:<line_end$}\n{}",
        "SSN: 219-45-6781</p>",
        " ".repeat(word.len() - line_end - 1)
    );
    assert_eq!(folded(word), want);
    // Kept: links and titles (their attributes are text), block tags and breaks, attributes
    // of closing tags, unknown attributes, tags longer than the limit, unclosed ones.
    for text in [
        "219-<a href=\"x\">45",
        "219-<span title=\"note\">45",
        "219<br>45<p>6781</p><td>1</td>",
        "</span class=x>",
        "<span data-x=1>",
        "<span",
        "<b x",
        "a < b and c <i or <spans>",
        r#"219-<a href=\"x\">45"#,
        r"219-\u003ca href=\u0022x\u0022\u003e45",
        "219-&lt;script&gt;45 a &lt; b &lt;b &lt;/div&gt;",
        r"<span \u003cb",
    ] {
        assert_eq!(whole(text), None, "{text:?}");
    }
    let long = format!("<span style='{}'>9", "x".repeat(600));
    assert_eq!(whole(&long), None);
}

/// A dropped tag whose line end would have to move (what follows it is longer than the room
/// before that line end) is kept: the token ends inside it, and every line stays.
#[test]
fn a_tag_whose_line_end_cannot_stay_is_kept() {
    let text = "x<b\n>219456781234567890 y";
    let f = whole(text);
    let got = f
        .as_ref()
        .map_or(text, |f| std::str::from_utf8(f.text()).unwrap());
    assert_eq!(got.len(), text.len());
    assert_eq!(got.find('\n'), text.find('\n'));
}

proptest! {
    /// On texts of inline tags (with spaces and line ends inside), look-alikes, escapes and
    /// plain text: the copy is as long as the text, keeps its line ends where they are, and
    /// maps every offset back monotonely; the text's letters outside tags are all in the copy,
    /// in order.
    #[test]
    fn inline_tags_keep_lines_and_offsets(parts in proptest::collection::vec(prop_oneof![
        Just("<b>"), Just("</b>"), Just("<span style='a b'>"), Just("</span>"), Just("<span\nlang=EN>"),
        Just("<content styleCode=\"Bold\">"), Just("<a href=x>"), Just("<br>"), Just("<"),
        Just("219"), Just("-"), Just("x"), Just(" "), Just("\n"), Just("\r\n"), Just("\u{2013}"),
        Just("&#45;"), Just("\t"),
    ], 0..30)) {
        let text: String = parts.concat();
        if let Some(f) = whole(&text) {
            let copy = f.text();
            prop_assert_eq!(copy.len(), text.len());
            let ends = |s: &[u8]| s.iter().enumerate().filter(|&(_, &b)| b == b'\n' || b == b'\r').map(|(i, _)| i).collect::<Vec<_>>();
            prop_assert_eq!(ends(copy), ends(text.as_bytes()));
            let mut last = 0;
            for p in 0..=text.len() {
                let o = f.original(p);
                prop_assert!(o >= last && o <= text.len() && o >= p);
                last = o;
            }
            let digits = |s: &[u8]| s.iter().filter(|b| b.is_ascii_digit()).count();
            prop_assert_eq!(digits(copy), digits(text.as_bytes()) - 2 * text.matches("&#45;").count());
        }
    }
}

/// Texts full of `<` (code, tags that are not inline, a tag left open at every line) cost
/// linear work, as do many inline tags in one token.
#[test]
fn searching_text_full_of_tags_is_linear() {
    for unit in [
        "if a < b && c<d { x } ",
        "<td>1</td><p>",
        "<span style='",
        "<b>2</b>",
        "9<span\nlang=EN-US style='x'>",
        r"<span style=\'",
        r"\u003cspan style=\u0027",
        r#"<b style=\"x\">2&lt;/b&gt;"#,
        "&amp;&amp;#4",
        r"\\\\u00",
    ] {
        crate::work::assert_linear(unit, |n| {
            let text = unit.repeat(n);
            crate::work::take();
            let _ = whole(&text);
            crate::work::take()
        });
    }
}
