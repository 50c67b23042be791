//! Test support for the data files' readers: every damage a file can take in a test's time,
//! read without a panic.

/// A reader's detector and its tables, as [`archive`](super::archive) keeps them.
type Reader<T> = (fn(&[u8]) -> bool, fn(&[u8], &mut u64) -> T);

/// Reads every prefix of `bytes` (with `budget` to spend), and `bytes` with each byte
/// changed three ways (`^ 0x01`, `^ 0x80`, `^ 0xff`, with 64 KiB), through `reader`: any
/// panic fails the test that calls it.
pub(super) fn read_every_damage<T>(bytes: &[u8], budget: u64, reader: Reader<T>) {
    let (is, tables) = reader;
    for end in 0..bytes.len() {
        let _ = tables(&bytes[..end], &mut budget.clone());
    }
    let mut bytes = bytes.to_vec();
    for at in 0..bytes.len() {
        let was = bytes[at];
        for flip in [0x01, 0x80, 0xff] {
            bytes[at] = was ^ flip;
            let _ = is(&bytes);
            let _ = tables(&bytes, &mut (1 << 16));
        }
        bytes[at] = was;
    }
}

/// A source of noise for the detectors' tests: `noise(n)` gives the next `n` bytes of a
/// fixed xorshift sequence, the same in every run.
pub(super) fn noise() -> impl FnMut(usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    move |n| {
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    }
}
