//! Structure readers for the PHI pack: just enough JSON, XML, HL7 v2, X12 and CSV to pair a
//! label with its value inside a diff hunk.
//!
//! A hunk may start or end in the middle of a structure, so none of these is a parser: each
//! starts from a position a regex found (a `"system"` key, a `PID|`, an `NM1*`) and walks
//! outwards only as far as it needs, with a byte budget. Validators call them; they run only
//! where a required keyword hit, which keeps the full pack within the throughput budget.

pub mod csv;
pub mod hl7;
pub mod json;
pub mod memo;
pub mod x12;
pub mod xml;

/// How far any structure walk goes from its starting point, in bytes. A FHIR resource or an
/// HL7 message in a source file is far smaller; a walk that hits the limit gives up.
pub const BUDGET: usize = 64 * 1024;

/// Trims ASCII whitespace from both ends of a range of `text`.
pub fn trim(text: &[u8], mut r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    while r.start < r.end && text[r.start].is_ascii_whitespace() {
        r.start += 1;
    }
    while r.end > r.start && text[r.end - 1].is_ascii_whitespace() {
        r.end -= 1;
    }
    r
}
