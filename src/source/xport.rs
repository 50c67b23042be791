//! SAS transport files (`.xpt`, XPORT version 5 and 8) read for their observations: a file
//! is an archive whose members are its data sets, each named by its member name (`DM`,
//! `AE`) and rendered as CSV (a header of the variable names, then one line per
//! observation), as an SQLite database's tables are ([`sqlite`](super::sqlite)). XPORT v5 is
//! the format clinical trial data (CDISC SDTM and ADaM data sets) is submitted to the FDA
//! in, so a trial's subject-level data travels in it. Its numbers are IBM mainframe floats
//! (an SSN or MRN stored as a number, and every date, is invisible as text) and its
//! character values are blank-padded to their length and packed back to back (a full-width
//! SSN runs into the next value: `999-01-2345H ...`). Rendered, the observations meet every
//! rule a CSV export meets, the variable names as column labels.
//!
//! The reader walks the format as SAS documents it (TS-140 for version 5, and its version 8
//! extension) read-only, in safe Rust: 80-byte header records, a member header and a
//! descriptor for each data set, its NAMESTR records (140 bytes each: type, length,
//! position, name, format), for version 8 the long names the NAMESTR holds and the
//! `LABELV8`/`LABELV9` records that hold names longer still, then the observations packed
//! back to back up to the next member header (at a record boundary) or the end of the file.
//! The observations' bytes are padded with blanks to a whole record, so their count comes
//! from their length: a trailing partial observation is padding, and so is a whole one
//! that is all blanks and lies in the last record's padding. Every count is checked against
//! the bytes that hold what it counts before anything is sized by it, and what is rendered
//! is charged to the archive budget as it goes.
//!
//! A damaged or cut-short header, member header or NAMESTR makes the file unreadable;
//! observations cut short end the rows (what is not in the file cannot hold anything).
//!
//! What a value renders as:
//! - character values lose their trailing blanks; they are shown as UTF-8 when they are,
//!   else as Latin-1 (a transport file does not say its encoding; SAS on Windows writes
//!   `wlatin1`).
//! - numbers shown with a date format (`DATE`, `YYMMDD`, `MMDDYY`, `DDMMYY`, `E8601DA`,
//!   `B8601DA`, `IS8601DA`, `WORDDATE`, `WEEKDATE`, `MONYY`), days since 1960-01-01, as
//!   `YYYY-MM-DD`; with a date-time format (`DATETIME`, `E8601DT`, `B8601DT`, `IS8601DT`),
//!   seconds since 1960, as `YYYY-MM-DD HH:MM:SS`. Out of the years 1 to 9999 they show
//!   their number.
//! - other numbers, converted from IBM floating point (whatever their stored length, 2 to
//!   8 bytes), as their shortest decimal (an integral value prints as digits, so an MRN or
//!   SSN stored as a number reads as one), in exponent form below 1e-5 or from 1e16 on.
//! - missing values (`.`, `._` and `.A` to `.Z`) render as empty fields.

use super::archive::{charge, csv_field as field, trim_end, utf8_or_latin1};
use super::calendar::{decimal, timestamp};

/// Why a file cannot be read (a header, member header or NAMESTR is damaged or cut short).
const DAMAGED: &str = "a damaged SAS transport file";

/// The name of a data set whose member name is blank.
pub const ROWS: &str = "(rows)";

/// The bytes of a record: headers are whole records, and what follows them is padded to one.
const RECORD: usize = 80;

/// How every header record starts, up to its name, and how it goes on after its 8-byte name.
const HEADER: &[u8] = b"HEADER RECORD*******";
const HEADER_END: &[u8] = b"HEADER RECORD!!!!!!!";

/// The days from 1970-01-01 to 1960-01-01, from which SAS counts dates.
const SAS_EPOCH: i64 = -3653;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// A member of the archive a file is: its name and its CSV, or why it cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// Whether `bytes` start as a SAS transport file: the library header record of version 5
/// (`LIBRARY`) or 8 (`LIBV8`), its numbers all digits.
pub fn is_xport(bytes: &[u8]) -> bool {
    version(bytes).is_some()
}

/// The data sets of transport file `bytes`, in the file's order, each rendered as CSV and
/// named by its member name (a repeated name gets ` (2)`, ` (3)`… after it, a blank one is
/// [`ROWS`]); what they render to is taken from `left`, the archive's budget.
///
/// # Errors
///
/// Why the file cannot be read, in words for the report: a header, member header or
/// NAMESTR is damaged or cut short, or its observations render past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let v8 = version(bytes).ok_or(DAMAGED)? == 8;
    // The library header and its two records of data (the SAS version, the dates).
    let mut at = 3 * RECORD;
    if bytes.len() < at {
        return Err(DAMAGED);
    }
    let mut out: Vec<Table> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    while at < bytes.len() {
        let (set, next) = member(bytes, at, v8).ok_or(DAMAGED)?;
        let rows = set.render(left)?;
        let base = if set.name.is_empty() {
            ROWS.to_owned()
        } else {
            utf8_or_latin1(set.name).into_owned()
        };
        let n: &mut usize = seen.entry(base.clone()).or_default();
        *n += 1;
        let name = if *n == 1 {
            base
        } else {
            format!("{base} ({n})")
        };
        out.push((name, Ok(rows)));
        at = next;
    }
    Ok(out)
}

/// The version (5 or 8) of the library header record `bytes` start with.
fn version(bytes: &[u8]) -> Option<u8> {
    let record = bytes.get(..RECORD)?;
    let version = match name_of(record)? {
        b"LIBRARY " => 5,
        b"LIBV8   " => 8,
        _ => return None,
    };
    let digits = record.get(48..78)?;
    digits.iter().all(u8::is_ascii_digit).then_some(version)
}

/// The 8-byte name of header record `record`, if it is one.
fn name_of(record: &[u8]) -> Option<&[u8]> {
    let rest = record.strip_prefix(HEADER)?;
    let (name, rest) = rest.split_at_checked(8)?;
    rest.starts_with(HEADER_END).then_some(name)
}

/// Whether the record at `at` is the header record named `name`.
fn is_header(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    let record = bytes.get(at..at.saturating_add(RECORD)).unwrap_or_default();
    name_of(record) == Some(name)
}

/// The names of the header records of a data set, which version 8 changed.
struct Names {
    member: &'static [u8],
    descriptor: &'static [u8],
    namestr: &'static [u8],
    obs: &'static [u8],
}

const V5: Names = Names {
    member: b"MEMBER  ",
    descriptor: b"DSCRPTR ",
    namestr: b"NAMESTR ",
    obs: b"OBS     ",
};

const V8: Names = Names {
    member: b"MEMBV8  ",
    descriptor: b"DSCPTV8 ",
    namestr: b"NAMSTV8 ",
    obs: b"OBSV8   ",
};

/// The number a header record holds from the start of its bytes `range`: the ASCII digits
/// there (leading blanks skipped), up to a blank or the range's end.
fn number(record: &[u8], range: std::ops::Range<usize>) -> Option<usize> {
    let text = record.get(range)?.trim_ascii_start();
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(text.get(..digits)?).ok()?.parse().ok()
}

/// A variable: its name, where its value is in an observation, and how it is shown.
#[derive(Debug, Clone)]
struct Var<'a> {
    name: &'a [u8],
    numeric: bool,
    /// The bytes of an observation that hold its value.
    at: usize,
    len: usize,
    shown: Shown,
}

/// How a number is shown, from its variable's format name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Plain,
    /// Days since 1960-01-01.
    Date,
    /// Seconds since 1960-01-01 00:00.
    DateTime,
}

impl Shown {
    /// How format `format` (`DATE`, `YYMMDD10.`, `E8601DT19.`, `BEST12.`) shows a number:
    /// its name is what is left without the width and decimals after it.
    fn of(format: &[u8]) -> Shown {
        let name = trim_end(format);
        let end = name
            .iter()
            .rposition(|&b| !(b.is_ascii_digit() || b == b'.'))
            .map_or(0, |i| i + 1);
        let name = name[..end].to_ascii_uppercase();
        match &name[..] {
            b"DATE" | b"YYMMDD" | b"MMDDYY" | b"DDMMYY" | b"E8601DA" | b"B8601DA" | b"IS8601DA"
            | b"WORDDATE" | b"WEEKDATE" | b"MONYY" => Shown::Date,
            b"DATETIME" | b"E8601DT" | b"B8601DT" | b"IS8601DT" => Shown::DateTime,
            _ => Shown::Plain,
        }
    }
}

/// A data set read as far as its observations: what rendering needs, borrowed from the file.
struct DataSet<'a> {
    name: &'a [u8],
    vars: Vec<Var<'a>>,
    /// The observations, padding left out: a whole number of `width` bytes.
    rows: &'a [u8],
    width: usize,
}

/// The data set whose member header record is at `at`, and where the next one starts (or
/// the file's end).
fn member(bytes: &[u8], at: usize, v8: bool) -> Option<(DataSet<'_>, usize)> {
    let names = if v8 { &V8 } else { &V5 };
    let record = |k: usize| bytes.get(at + k * RECORD..at + (k + 1) * RECORD);
    if !is_header(bytes, at, names.member) {
        return None;
    }
    // The member header's last number is the length of a NAMESTR: 140, or 136 on VAX/VMS.
    let namestr = number(record(0)?, 74..78)?;
    if namestr != 140 && namestr != 136 {
        return None;
    }
    if !is_header(bytes, at + RECORD, names.descriptor) {
        return None;
    }
    let name = trim_end(record(2)?.get(8..if v8 { 40 } else { 16 })?);
    if !is_header(bytes, at + 4 * RECORD, names.namestr) {
        return None;
    }
    let count = number(record(4)?, 48..58)?;
    let start = at + 5 * RECORD;
    let namestrs = bytes.get(start..start.checked_add(count.checked_mul(namestr)?)?)?;
    let mut vars = namestrs
        .chunks_exact(namestr)
        .map(|n| variable(n, v8))
        .collect::<Option<Vec<_>>>()?;
    let mut at = start + namestrs.len().next_multiple_of(RECORD);
    if v8 {
        at = long_names(bytes, at, &mut vars)?;
    }
    if !is_header(bytes, at, names.obs) {
        return None;
    }
    let (rows, width, next) = observations(bytes, at + RECORD, names.member, &vars)?;
    Some((
        DataSet {
            name,
            vars,
            rows,
            width,
        },
        next,
    ))
}

/// The variable NAMESTR record `n` describes: its type (1 numeric, 2 character), length,
/// name, format and position, and in version 8 the long name after them.
fn variable(n: &[u8], v8: bool) -> Option<Var<'_>> {
    crate::work::add(n.len());
    let short = |at: usize| Some(u16::from_be_bytes(n.get(at..at + 2)?.try_into().ok()?));
    let numeric = match short(0)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    let len = usize::from(short(4)?);
    if len == 0 || numeric && len > 8 {
        return None;
    }
    let at = u32::from_be_bytes(n.get(84..88)?.try_into().ok()?);
    let long = if v8 { trim_end(n.get(88..120)?) } else { &[] };
    Some(Var {
        name: if long.is_empty() {
            trim_end(n.get(8..16)?)
        } else {
            long
        },
        numeric,
        at: usize::try_from(at).ok()?,
        len,
        shown: Shown::of(n.get(56..64)?),
    })
}

/// The `LABELV8` or `LABELV9` record of version 8 at `at`, if there is one: for each of its
/// count of variables, the variable's number (from 1) and the lengths of its name and label
/// (and, in `LABELV9`, of its format and informat), then those texts. The names replace
/// the NAMESTRs' (which hold at most 32 bytes), the formats theirs (at most 8). Returns
/// where the records after it start.
fn long_names<'a>(bytes: &'a [u8], at: usize, vars: &mut [Var<'a>]) -> Option<usize> {
    let v9 = if is_header(bytes, at, b"LABELV8 ") {
        false
    } else if is_header(bytes, at, b"LABELV9 ") {
        true
    } else {
        return Some(at);
    };
    let count = number(bytes.get(at..at + RECORD)?, 48..RECORD)?;
    let start = at + RECORD;
    let mut r = start;
    let mut take = |n: usize| {
        let taken = bytes.get(r..r.checked_add(n)?)?;
        r += n;
        crate::work::add(n);
        Some(taken)
    };
    // Each entry takes at least 6 bytes, so the loop ends.
    for _ in 0..count {
        let mut short = || Some(usize::from(u16::from_be_bytes(take(2)?.try_into().ok()?)));
        let (number, name_len, label_len) = (short()?, short()?, short()?);
        let lens = if v9 { Some((short()?, short()?)) } else { None };
        let name = take(name_len)?;
        take(label_len)?;
        let format = match lens {
            Some((format_len, informat_len)) => {
                let format = take(format_len)?;
                take(informat_len)?;
                Some(format)
            }
            None => None,
        };
        let var = vars.get_mut(number.checked_sub(1)?)?;
        if !trim_end(name).is_empty() {
            var.name = trim_end(name);
        }
        if let Some(format) = format.filter(|f| !trim_end(f).is_empty()) {
            var.shown = Shown::of(format);
        }
    }
    Some(start + (r - start).next_multiple_of(RECORD))
}

/// The observations starting at `at`, to the next header named `member` (at a record
/// boundary) or
/// the file's end: the bytes of the whole observations, padding left out, their width and
/// where the next member starts.
fn observations<'a>(
    bytes: &'a [u8],
    at: usize,
    member: &[u8],
    vars: &[Var],
) -> Option<(&'a [u8], usize, usize)> {
    let width = vars
        .iter()
        .map(|v| v.at.checked_add(v.len))
        .try_fold(0usize, |w, end| Some(w.max(end?)))?;
    let mut end = at;
    while end < bytes.len() && !is_header(bytes, end, member) {
        end = end.saturating_add(RECORD).min(bytes.len());
        crate::work::add(RECORD);
    }
    let data = bytes.get(at..end)?;
    if width == 0 {
        return Some((&[], 0, end));
    }
    let mut count = data.len() / width;
    // Whole observations of blanks in the last record's padding are padding too.
    while count > 0 {
        let start = (count - 1) * width;
        let blank = data[start..start + width].iter().all(|&b| b == b' ');
        if !blank || data.len() - start >= RECORD {
            break;
        }
        count -= 1;
    }
    Some((&data[..count * width], width, end))
}

impl DataSet<'_> {
    /// The header and the observations as CSV, each field charged to `left` as it is
    /// rendered.
    fn render(&self, left: &mut u64) -> Result<Vec<u8>, &'static str> {
        let mut text = Vec::new();
        if self.vars.is_empty() {
            return Ok(text);
        }
        for (k, var) in self.vars.iter().enumerate() {
            if k > 0 {
                text.push(b',');
            }
            string(&mut text, var.name);
        }
        text.push(b'\n');
        charge(left, text.len())?;
        if self.width == 0 {
            return Ok(text);
        }
        for row in self.rows.chunks_exact(self.width) {
            crate::work::add(row.len());
            for (k, var) in self.vars.iter().enumerate() {
                let start = text.len();
                if k > 0 {
                    text.push(b',');
                }
                // Within the row: the width is the largest end.
                let raw = row.get(var.at..var.at + var.len).unwrap_or_default();
                value(&mut text, var, raw);
                crate::work::add(text.len() - start);
                charge(left, text.len() - start)?;
            }
            text.push(b'\n');
            charge(left, 1)?;
        }
        Ok(text)
    }
}

/// Appends the value `raw` of variable `var` as a CSV field.
fn value(text: &mut Vec<u8>, var: &Var, raw: &[u8]) {
    if !var.numeric {
        string(text, trim_end(raw));
        return;
    }
    let Some(x) = ibm(raw) else {
        return;
    };
    let dated = match var.shown {
        Shown::Plain => None,
        Shown::Date => timestamp(text, x * SECONDS_PER_DAY, SAS_EPOCH, false),
        Shown::DateTime => timestamp(text, x, SAS_EPOCH, true),
    };
    if dated.is_none() {
        decimal(text, x);
    }
}

/// Appends character value `raw` as a CSV field, Latin-1 made UTF-8 unless it is UTF-8.
fn string(text: &mut Vec<u8>, raw: &[u8]) {
    if std::str::from_utf8(raw).is_ok() {
        field(text, raw);
    } else {
        field(text, utf8_or_latin1(raw).as_bytes());
    }
}

/// The number IBM System/360 float `raw` (big-endian, 1 to 8 bytes, the rest taken as
/// zeros) holds: a sign bit, a 7-bit exponent of 16 biased by 64 and a fraction; `None`
/// for a missing value (`.`, `_` or a letter, then zeros).
fn ibm(raw: &[u8]) -> Option<f64> {
    let (&first, rest) = raw.split_first()?;
    let zeros = rest.iter().all(|&b| b == 0);
    if zeros && (first == b'.' || first == b'_' || first.is_ascii_uppercase()) {
        return None;
    }
    let mut bytes = [0; 8];
    let len = raw.len().min(8);
    bytes[..len].copy_from_slice(&raw[..len]);
    let bits = u64::from_be_bytes(bytes);
    let fraction = bits & ((1 << 56) - 1);
    let exponent = i32::from(first & 0x7f) - 64;
    // fraction * 2^-56 * 16^exponent; 2^(4 * exponent - 56) is a normal double for every
    // exponent (-312 to 196), so the one rounding is the fraction's to 53 bits.
    let scale = f64::from_bits(((4 * exponent - 56 + 1023) as u64) << 52);
    if fraction == 0 {
        return Some(0.0);
    }
    let x = fraction as f64 * scale;
    Some(if first & 0x80 != 0 { -x } else { x })
}

#[cfg(test)]
mod tests;
