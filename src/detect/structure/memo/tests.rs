use super::*;
use std::ops::Range;

const BUSINESS: &[&[u8]] = &[b"foundation", b"inc.", b"llc", b"company"];
const LABELS: &[&[u8]] = &[b"address", b"street", b"\"line\""];
const PATIENT: &[&[u8]] = &[b"patient", b"Patient", b"member id", b"street"];

/// Whether a word of `words` lies inside `text[window]`, ASCII case ignored: what a caller
/// finds by searching its window when no index answers.
fn in_window(text: &[u8], words: &[&[u8]], window: Range<usize>) -> bool {
    let w = &text[window];
    words
        .iter()
        .any(|word| w.windows(word.len()).any(|x| x.eq_ignore_ascii_case(word)))
}

fn sample() -> Vec<u8> {
    let rows = [
        "MR0000001,Ava,\"12 Elm STREET\",00000\n",
        "{\"resourceType\":\"Patient\",\"address\":[{\"line\":[\"9 Oak Street\"]}]}\n",
        "Acme Company LLC, 1 Harbor Way\n",
        "member id: X0000000 patient notes\n",
        "nothing to see here, just text\n",
    ];
    let mut text = Vec::new();
    let mut i = 0;
    while text.len() < 3 * INDEX_WORDS_FROM {
        text.extend_from_slice(rows[(i * 7 + i / 3) % rows.len()].as_bytes());
        i += 1;
    }
    text
}

/// Asks about the three lists in turn over sliding windows, checking every answer given
/// against the window's own search; returns how many answers came from an index.
fn ask_all(text: &[u8]) -> usize {
    let mut indexed = 0;
    for (n, start) in (0..text.len() - 300).step_by(61).enumerate() {
        let window = start..start + 40 + (n % 5) * 60;
        for words in [BUSINESS, LABELS, PATIENT] {
            if let Some(found) = words_within(text, words, window.clone()) {
                indexed += 1;
                assert_eq!(
                    found,
                    in_window(text, words, window.clone()),
                    "{window:?} {words:?}"
                );
            }
        }
    }
    indexed
}

/// Oracle for the one-pass index of several word lists: every answer it gives is the one
/// searching the window gives, for lists sharing words (in different case), on one thread
/// and when the index is handed on through [`SharedWords`].
#[test]
fn words_indexed_together_answer_as_their_windows() {
    let text = sample();
    let t = text.as_slice();
    assert!(remembering(t, || ask_all(t)) > 0);
    let shared = Arc::new(SharedWords::default());
    let first = remembering(t, || {
        share_words(t, &shared);
        ask_all(t)
    });
    assert!(first > 0);
    // Another memo of the text takes the lists from the shared store at once.
    assert_eq!(shared.lock().len(), 3);
    let second = remembering(t, || {
        share_words(t, &shared);
        ask_all(t)
    });
    assert!(second > first);
}
