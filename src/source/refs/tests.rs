//! Unit tests for ref-update parsing.

use super::*;

const A: &str = "1111111111111111111111111111111111111111";
const Z40: &str = "0000000000000000000000000000000000000000";

#[test]
fn receive_lines() {
    let z64 = "0".repeat(64);
    let u = parse_receive(&format!(
        "{Z40} {A} refs/heads/new\n{A} {z64} refs/heads/gone\n"
    ))
    .unwrap();
    assert_eq!(u.len(), 2);
    assert!(u[0].old.is_none() && u[0].new.is_some());
    assert!(u[1].is_delete());
    assert!(parse_receive("garbage").is_err());
    assert!(parse_receive(&format!("{A} {} refs/heads/x", "a".repeat(64))).is_err());
}

#[test]
fn push_lines() {
    let u = parse_push(&format!(
        "refs/heads/a {A} refs/heads/a {Z40}\n(delete) {Z40} refs/heads/b {A}\n"
    ))
    .unwrap();
    assert_eq!(u[0].refname, "refs/heads/a");
    assert!(u[0].old.is_none());
    assert!(u[1].is_delete());
    assert!(parse_push("a b c").is_err());
}

#[test]
fn a_last_line_without_its_newline_is_stdin_closed_early() {
    let line = format!("{Z40} {A} refs/heads/new");
    assert!(parse_receive(&format!("{line}\n")).is_ok());
    let e = parse_receive(&line).unwrap_err().to_string();
    assert!(e.contains("closed early"), "{e}");
    let cut = &line[..50];
    assert!(parse_receive(&format!("{line}\n{cut}")).is_err());
    let push = format!("refs/heads/a {A} refs/heads/a {Z40}");
    assert!(parse_push(&format!("{push}\n")).is_ok());
    assert!(
        parse_push(&push)
            .unwrap_err()
            .to_string()
            .contains("closed early")
    );
}
