use super::*;

fn s<'a>(text: &'a [u8], r: &Range<usize>) -> &'a str {
    std::str::from_utf8(&text[r.clone()]).unwrap()
}

#[test]
fn pairs_system_with_depth0_value() {
    let cases: &[(&str, Option<&str>)] = &[
        (r#"{"system": "S", "value": "V1"}"#, Some("V1")),
        (
            r#"{"value": "V2", "type": {"coding": [{"system": "x", "value": "no"}]}, "system": "S"}"#,
            Some("V2"),
        ),
        (r#"{"system": "S", "type": {"value": "inner"}}"#, None),
        (r#"{"a": "}{\"", "system": "S", "value": "V3""#, Some("V3")),
        (r#"{"system": "S", "value": 12345}"#, Some("12345")),
    ];
    for (text, want) in cases {
        let t = text.as_bytes();
        let pos = text.rfind("\"system\"").unwrap();
        let obj = enclosing_object(t, pos).unwrap();
        let got = member(t, obj, b"value").map(|m| s(t, &m.value).to_owned());
        assert_eq!(got.as_deref(), *want, "{text}");
    }
}

#[test]
fn strings_at_any_depth() {
    let t = br#"{"name": [{"family": "Ortega", "given": ["Lucia", "M"]}], "x": {"family": "B"}}"#;
    let obj = enclosing_object(t, 1).unwrap();
    let fam: Vec<&str> = strings_named(t, obj.clone(), b"family")
        .iter()
        .map(|r| s(t, r))
        .collect();
    assert_eq!(fam, vec!["Ortega", "B"]);
    let given: Vec<&str> = strings_named(t, obj, b"given")
        .iter()
        .map(|r| s(t, r))
        .collect();
    assert_eq!(given, vec!["Lucia", "M"]);
}

#[test]
fn member_is_the_first_with_its_key_at_depth_0() {
    let t =
        br#"{"a": {"value": "in"}, "value": "first", "b": [1, {"value": "x"}], "value": "second"}"#;
    let m = member(t, 0..t.len(), b"value").unwrap();
    assert_eq!(s(t, &m.value), "first");
    assert_eq!(member(t, 0..t.len(), b"missing"), None);
    assert_eq!(members(t, 0..t.len()).len(), 4);
}

#[test]
fn no_object_outside_braces() {
    assert_eq!(object_start(b"x = 1 \"system\"", 7), None);
}

#[test]
fn remembered_ends_answer_as_a_fresh_scan_does() {
    let t = br#"{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient",
 "identifier": [{"system": "http://hl7.org/fhir/sid/us-ssn", "value": "x\"}"}],
 "name": [{"family": "Ortega"}]}}, {"resource": {"resourceType": "Coverage", "a": [1, {"b": 2}]}}
"#;
    let opens: Vec<usize> = (0..t.len()).filter(|&i| b"{[".contains(&t[i])).collect();
    let fresh: Vec<usize> = opens.iter().map(|&o| object_end(t, o)).collect();
    let fresh_members: Vec<Vec<Member>> = opens
        .iter()
        .zip(&fresh)
        .map(|(&o, &e)| members(t, o..e))
        .collect();
    let fresh_resources: Vec<_> = (0..t.len()).map(|p| resource_at(t, p)).collect();
    memo::remembering(t, || {
        for _ in 0..2 {
            let ends: Vec<usize> = opens.iter().map(|&o| object_end(t, o)).collect();
            assert_eq!(ends, fresh);
            let m: Vec<Vec<Member>> = opens
                .iter()
                .zip(&ends)
                .map(|(&o, &e)| members(t, o..e))
                .collect();
            assert_eq!(m, fresh_members);
            let r: Vec<_> = (0..t.len()).map(|p| resource_at(t, p)).collect();
            assert_eq!(r, fresh_resources);
        }
        // Another text is never answered from the memo.
        let other = br#"{"a": {"b": 1}}"#;
        assert_eq!(object_end(other, 0), other.len());
        assert_eq!(
            object_end(&t[..20], 0),
            20,
            "a cut text ends where it is cut"
        );
    });
}

#[test]
fn remembered_verdicts_are_computed_once_per_range_and_text() {
    let t = br#"{"resourceType": "Patient", "name": [{"family": "Doe"}]}"#;
    let calls = std::cell::Cell::new(0);
    let verdict = |v: bool| {
        calls.set(calls.get() + 1);
        v
    };
    // Outside a scan nothing is remembered.
    assert!(remembered(t, 0..t.len(), || verdict(true)));
    assert!(remembered(t, 0..t.len(), || verdict(true)));
    assert_eq!(calls.get(), 2);
    memo::remembering(t, || {
        assert!(remembered(t, 0..t.len(), || verdict(true)));
        assert!(remembered(t, 0..t.len(), || verdict(false)), "remembered");
        assert!(
            !remembered(t, 1..t.len(), || verdict(false)),
            "another range"
        );
        assert!(
            !remembered(&t[..10], 0..10, || verdict(false)),
            "another text"
        );
        assert_eq!(calls.get(), 5);
        let types: Vec<_> = (0..2)
            .map(|_| resource_type(t, 0..t.len()).map(|r| &t[r]))
            .collect();
        assert_eq!(types, vec![Some(&b"Patient"[..]); 2]);
    });
    assert!(
        !remembered(t, 0..t.len(), || verdict(false)),
        "gone with the scan"
    );
}

/// xorshift64*: deterministic, no dependency.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Up to 120 bytes of `alphabet`, at random.
fn random_text(rng: &mut u64, alphabet: &[u8]) -> Vec<u8> {
    let len = 1 + (next(rng) % 120) as usize;
    (0..len)
        .map(|_| alphabet[(next(rng) % alphabet.len() as u64) as usize])
        .collect()
}

#[test]
fn remembered_walks_answer_as_fresh_ones_in_any_order() {
    // Brackets, quotes and escapes in random order: balanced, cut off, inside strings. Inner
    // containers asked first let outer scans jump over them; outer ones first record the
    // inner ends; starts are asked with reaches that both find and miss the `{`.
    let alphabet = br#"{}[]""\a,:"#;
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    for round in 0..400 {
        let t = random_text(&mut rng, alphabet);
        let len = t.len();
        let opens: Vec<usize> = (0..len).filter(|&i| b"{[".contains(&t[i])).collect();
        let reaches = [0, 1, 3, 10, 40, BUDGET];
        let fresh_ends: Vec<usize> = opens.iter().map(|&o| object_end(&t, o)).collect();
        let fresh_starts: Vec<Vec<Option<usize>>> = (0..=len)
            .map(|p| {
                reaches
                    .iter()
                    .map(|&r| object_start_within(&t, p, r))
                    .collect()
            })
            .collect();
        let mut order: Vec<usize> = (0..opens.len()).collect();
        match round % 3 {
            0 => order.reverse(),
            1 => {
                let keys: Vec<u64> = order.iter().map(|_| next(&mut rng)).collect();
                order.sort_by_key(|&k| keys[k]);
            }
            _ => {}
        }
        memo::remembering(&t, || {
            for _ in 0..2 {
                for &k in &order {
                    assert_eq!(object_end(&t, opens[k]), fresh_ends[k], "round {round}");
                }
                for p in (0..=len).rev() {
                    // Wide reaches first, then narrow ones first: a miss within a narrow
                    // reach says nothing of a wider one.
                    let mut asks: Vec<usize> = (0..reaches.len()).collect();
                    if round % 2 == 0 {
                        asks.reverse();
                    }
                    for j in asks {
                        let r = reaches[j];
                        assert_eq!(
                            object_start_within(&t, p, r),
                            fresh_starts[p][j],
                            "round {round}: start from {p} within {r}"
                        );
                    }
                }
            }
        });
    }
}

/// Oracle for [`resource_possible`]: when it says no for a range, [`resource_at`] finds no
/// resource from any position in it, with and without a memo open (both ways of looking
/// for `resourceType`).
#[test]
fn resource_possible_no_means_resource_at_finds_none() {
    let resource = r#"{"resourceType":"Patient","name":[{"family":"Okafor"}]}"#;
    let row = "MR0000001,Ava,\"12 Elm Street\",00000\n";
    let mut texts = vec![
        row.repeat(40),
        format!("{}{resource}\n{}", row.repeat(30), row),
    ];
    // A resource more than the reach away from the rows at the end.
    texts.push(format!("{resource}\n{}", row.repeat(700)));
    texts.push(format!("{}{resource}", row.repeat(700)));
    for text in &texts {
        let t = text.as_bytes();
        let check = || {
            let mut said_no = 0;
            for start in (0..t.len()).step_by(13) {
                let end = (start + 40).min(t.len());
                if resource_possible(t, start..end) {
                    continue;
                }
                said_no += 1;
                for p in start..end {
                    assert_eq!(resource_at(t, p), None, "at {p}");
                }
            }
            said_no
        };
        let plain = check();
        let remembered = memo::remembering(t, check);
        assert_eq!(plain, remembered);
    }
    // It does say no somewhere (the rows far from the resource), and yes next to one.
    let far = texts[2].as_bytes();
    assert!(!resource_possible(far, far.len() - 40..far.len()));
    assert!(resource_possible(far, 0..1));
}

/// Oracle for [`object_start_unremembered`]: it answers as a fresh scan does, whether or
/// not the memo holds an answer for the position (found, or none within a reach narrower or
/// wider than the one asked), and it files no new answer.
#[test]
fn unremembered_starts_answer_as_fresh_ones_and_file_nothing() {
    let alphabet = br#"{}[]""\a,:"#;
    let mut rng = 0x51A7_E5EE_D00D_F00D_u64;
    for round in 0..300 {
        let t = random_text(&mut rng, alphabet);
        let len = t.len();
        let reaches = [0, 1, 3, 10, 40, BUDGET];
        let fresh: Vec<Vec<Option<usize>>> = (0..=len)
            .map(|p| {
                reaches
                    .iter()
                    .map(|&r| scan_object_start(&t, p, r))
                    .collect()
            })
            .collect();
        memo::remembering(&t, || {
            // Some positions remembered first, within one of the reaches.
            for p in 0..=len {
                let (pick, r) = (next(&mut rng), next(&mut rng));
                if pick % 3 == 0 {
                    object_start_within(&t, p, reaches[(r % reaches.len() as u64) as usize]);
                }
            }
            for (p, want) in fresh.iter().enumerate() {
                let filed = memo::with(&t, |m| m.json.starts.get(&p).copied()).flatten();
                for (&r, want) in reaches.iter().zip(want) {
                    let got = object_start_unremembered(&t, p, r);
                    assert_eq!(got, *want, "round {round}: start from {p} within {r}");
                }
                let after = memo::with(&t, |m| m.json.starts.get(&p).copied()).flatten();
                assert_eq!(
                    format!("{after:?}"),
                    format!("{filed:?}"),
                    "round {round}: nothing new filed at {p}"
                );
            }
        });
        for (p, want) in fresh.iter().enumerate() {
            for (&r, want) in reaches.iter().zip(want) {
                assert_eq!(object_start_unremembered(&t, p, r), *want);
            }
        }
    }
}

/// The bytes of the `k`th random text of the string-jump oracles: brackets, quotes,
/// escapes and two letters; every other text with more letters, so that its strings are
/// longer than the bytes a walk looks at one by one before it jumps.
fn json_alphabet(k: usize) -> &'static [u8] {
    if k.is_multiple_of(2) {
        br#"{}[]"\\ab:,"#
    } else {
        br#"{}[]"\\abcdefghijklmnopqrstuvwxyz0123456789:,"#
    }
}

/// Oracle for [`scan_object_end`]'s jumps over strings: a byte-at-a-time walk (the scan as it
/// was) finds the same end and closes the same nested containers, from every `{` and `[` of
/// random texts of brackets, quotes, escapes and letters (strings cut off, escapes at the
/// very end, quotes inside strings).
#[test]
fn string_jumps_end_objects_where_a_byte_walk_does() {
    fn byte_walk(text: &[u8], open: usize) -> (usize, Vec<(usize, usize)>) {
        let limit = text.len().min(open + super::BUDGET);
        let (mut in_str, mut opens, mut closed) = (false, Vec::new(), Vec::new());
        let mut i = open;
        while i < limit {
            match text[i] {
                b'\\' if in_str => i += 1,
                b'"' => in_str = !in_str,
                _ if in_str => {}
                b'{' | b'[' => opens.push(i),
                b'}' | b']' => {
                    let o = opens.pop();
                    if opens.is_empty() {
                        return (i + 1, closed);
                    }
                    if let Some(o) = o {
                        closed.push((o, i + 1));
                    }
                }
                _ => {}
            }
            i += 1;
        }
        (limit, closed)
    }
    let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
    let mut checked = 0;
    for k in 0..4000 {
        let text = random_text(&mut rng, json_alphabet(k));
        for open in (0..text.len()).filter(|&i| b"{[".contains(&text[i])) {
            let mut closed = Vec::new();
            let end = scan_object_end(&text, open, |_| None, |o, e| closed.push((o, e)));
            assert_eq!(
                (end, closed),
                byte_walk(&text, open),
                "{:?} from {open}",
                String::from_utf8_lossy(&text)
            );
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked} walks");
}

/// Oracle for [`scan_object_start`]'s jumps back over strings: a byte-at-a-time walk (the
/// scan as it was) finds the same `{`, and counts the same work, from every position of
/// random texts of brackets, quotes, escapes and letters, with a reach that cuts some walks
/// short.
#[test]
fn string_jumps_start_objects_where_a_byte_walk_does() {
    fn byte_walk(text: &[u8], pos: usize, reach: usize) -> Option<usize> {
        let floor = pos.saturating_sub(reach);
        let (mut depth, mut in_str) = (0usize, false);
        let mut i = pos;
        while i > floor {
            i -= 1;
            match text[i] {
                b'"' if !escaped(text, i) => in_str = !in_str,
                _ if in_str => {}
                b'}' | b']' => depth += 1,
                b'{' if depth == 0 => return Some(i),
                b'[' if depth == 0 => {}
                b'{' | b'[' => depth -= 1,
                _ => {}
            }
        }
        None
    }
    let mut rng = 0x2545_F491_4F6C_DD1D_u64;
    let mut found = 0;
    for k in 0..3000 {
        let text = random_text(&mut rng, json_alphabet(k));
        for pos in 0..=text.len() {
            for reach in [3, 17, usize::MAX] {
                let want = byte_walk(&text, pos, reach);
                crate::work::take();
                let got = scan_object_start(&text, pos, reach);
                let work = crate::work::take();
                assert_eq!(
                    got,
                    want,
                    "{:?} from {pos}, reach {reach}",
                    String::from_utf8_lossy(&text)
                );
                let walked = pos - want.unwrap_or(pos.saturating_sub(reach));
                assert_eq!(work, walked as u64, "bytes walked from {pos}");
                found += usize::from(got.is_some());
            }
        }
    }
    assert!(found > 10_000, "{found} objects found");
}

/// Oracle for [`string_end`]'s jumps (the member and array walks read keys and values with
/// it): a byte-at-a-time walk (the function as it was) finds the same closing quote from
/// every quote of random texts, for every end.
#[test]
fn string_jumps_end_strings_where_a_byte_walk_does() {
    fn byte_walk(text: &[u8], mut i: usize, end: usize) -> usize {
        i += 1;
        while i < end {
            match text[i] {
                b'\\' => i += 1,
                b'"' => return i,
                _ => {}
            }
            i += 1;
        }
        end
    }
    let mut rng = 0x5851_F42D_4C95_7F2D_u64;
    let mut checked = 0;
    for k in 0..3000_usize {
        let alphabet: &[u8] = if k.is_multiple_of(2) {
            br#""\\ab"#
        } else {
            br#""\\abcdefghijklmnopqrstuvwxyz0123456789 "#
        };
        let text = random_text(&mut rng, alphabet);
        for i in (0..text.len()).filter(|&i| text[i] == b'"') {
            for end in i + 1..=text.len() {
                assert_eq!(
                    string_end(&text, i, end),
                    byte_walk(&text, i, end),
                    "{:?} from {i} to {end}",
                    String::from_utf8_lossy(&text)
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 100_000, "{checked} walks");
}
