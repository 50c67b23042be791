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
