//! Inline markup: the tags of HTML, C-CDA narrative and OpenDocument text that split a
//! value into pieces without a break between them (`536-90-</span><span lang=EN-US>4399`).
//! Detection reads through them (the fold of look-alikes and escapes), and an Outlook
//! message's HTML body is read as text with them joined ([`msg`](super::msg)).

/// ASCII white space: what separates words, and what a tag's attributes are set apart by.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C)
}

/// Whether element `name` (any case, with its prefix) is an inline one ([`INLINE`]).
pub fn is_inline(name: &[u8]) -> bool {
    INLINE.iter().any(|e| e.eq_ignore_ascii_case(name))
}

/// Inline elements of HTML, of C-CDA narrative and of OpenDocument text that split a value
/// into pieces without a break between them: formatting (`b`, `span`, `font`, Word's `o:p`,
/// an `.odt`'s `text:span`), edits (`ins`, `del`) and CDA's `content`.
pub const INLINE: &[&[u8]] = &[
    b"span",
    b"b",
    b"i",
    b"u",
    b"em",
    b"strong",
    b"font",
    b"sup",
    b"sub",
    b"small",
    b"big",
    b"s",
    b"strike",
    b"mark",
    b"ins",
    b"del",
    b"abbr",
    b"tt",
    b"nobr",
    b"o:p",
    b"content",
    b"text:span",
];

/// The attributes an inline tag may have and still be dropped: presentation and references
/// only. A tag with any other (`title`, `href`, `data-*`) may hold text of its own, and
/// stays.
pub const INLINE_ATTRIBUTES: &[&[u8]] = &[
    b"style",
    b"class",
    b"lang",
    b"xml:lang",
    b"dir",
    b"stylecode",
    b"id",
    b"text:style-name",
    b"text:class-names",
];

/// The longest inline tag dropped.
pub const MAX_TAG: usize = 512;

/// Whether the tag at the start of `rest` (a `<`) is an opening or closing tag of an
/// [`INLINE`] element, its attributes unread.
pub fn names_inline(rest: &[u8]) -> bool {
    let (at, n) = element_name(rest);
    is_inline(&rest[at..at + n])
}

/// Where the element name of the tag at the start of `rest` starts (past `<` or `</`), and
/// its length.
fn element_name(rest: &[u8]) -> (usize, usize) {
    let at = (1 + usize::from(rest.get(1) == Some(&b'/'))).min(rest.len());
    (at, name_len(rest, at))
}

/// The length of the element or attribute name at `at` in `rest` (at most 16 bytes).
fn name_len(rest: &[u8], at: usize) -> usize {
    rest[at.min(rest.len())..]
        .iter()
        .take(16)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b':' || b == b'-')
        .count()
}

/// The length of the inline tag at the start of `rest` (a `<`) that detection reads through
/// (`536-90-</span><span lang=EN-US>4399`, Word's HTML; `<content styleCode="Bold">` in a
/// C-CDA narrative): an opening, closing or empty tag of an [`INLINE`] element whose
/// attributes are all [`INLINE_ATTRIBUTES`], at most [`MAX_TAG`] bytes; `None` for any other.
pub fn inline_tag_at(rest: &[u8]) -> Option<usize> {
    let name_len = |at: usize| name_len(rest, at);
    let (name_at, n) = element_name(rest);
    if !is_inline(&rest[name_at..name_at + n]) {
        return None;
    }
    let mut k = name_at + n;
    loop {
        let spaces = rest[k.min(rest.len())..]
            .iter()
            .take(MAX_TAG)
            .take_while(|&&b| is_space(b))
            .count();
        k += spaces;
        if k >= MAX_TAG {
            return None;
        }
        match rest.get(k..)? {
            [b'>', ..] => return Some(k + 1),
            [b'/', b'>', ..] => return Some(k + 2),
            _ if spaces == 0 || name_at == 2 => return None,
            _ => {}
        }
        let n = name_len(k);
        if !INLINE_ATTRIBUTES
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&rest[k..k + n]))
        {
            return None;
        }
        k += n;
        if rest.get(k) == Some(&b'=') {
            k += 1;
            let value = &rest[k.min(rest.len())..];
            k += match value.first()? {
                &q @ (b'"' | b'\'') => {
                    let len = value[1..]
                        .iter()
                        .take(MAX_TAG)
                        .position(|&b| b == q || b == b'<' || b == b'>')?;
                    (value[1 + len] == q).then_some(len + 2)?
                }
                _ => value
                    .iter()
                    .take(MAX_TAG)
                    .take_while(|&&b| !is_space(b) && !b"<>\"'`=".contains(&b))
                    .count(),
            };
        }
    }
}
