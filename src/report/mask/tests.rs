//! Unit tests (test vectors are synthetic; this file is a fixture path in `.phiguard.toml`).

use super::*;

fn phi(span: Range<usize>) -> MaskSpan {
    MaskSpan {
        span,
        category: Category::Phi,
        reveal_prefix: 0,
    }
}

#[test]
fn masks_phi_whole_unless_long() {
    let text = b"ssn: 536-90-4399\n";
    let e = excerpt(text, 5..16, &[phi(5..16)]);
    assert_eq!(e, "ssn: ***********");
    let text = b"member: ZXW4471923ABC7\n";
    let e = excerpt(text, 8..22, &[phi(8..22)]);
    assert_eq!(e, "member: ************C7");
}

#[test]
fn masks_secret_to_prefix() {
    let text = b"key = AKIAQYLPMN5HFIQR7XYZ";
    let s = MaskSpan {
        span: 6..26,
        category: Category::Secret,
        reveal_prefix: 4,
    };
    assert_eq!(excerpt(text, 6..26, &[s]), "key = AKIA****************");
}

#[test]
fn masks_every_value_on_the_line_and_cuts_long_lines() {
    let mut text = vec![b'x'; 200];
    text.extend_from_slice(b" 536-90-4399 and 772-10-4567 ");
    text.extend(vec![b'y'; 200]);
    let a = 201..212;
    let b = 217..228;
    let e = excerpt(&text, a.clone(), &[phi(a), phi(b)]);
    assert!(e.starts_with('…') && e.ends_with('…'));
    assert!(e.contains(" *********** and *********** "), "{e}");
    assert!(!e.contains("536") && !e.contains("4567"));
}

#[test]
fn short_values_keep_nothing_or_at_most_half() {
    let mut v = b"1234".to_vec();
    mask_value(&mut v, Category::Phi, 0);
    assert_eq!(v, b"****");
    let mut v = b"04/12/1961".to_vec();
    mask_value(&mut v, Category::Phi, 0);
    assert_eq!(v, b"**********");
    let mut v = b"ghp_".to_vec();
    mask_value(&mut v, Category::Secret, 4);
    assert_eq!(v, b"gh**");
}
