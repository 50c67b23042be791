//! Stata data sets (`.dta`) read for their rows: a data set is an archive whose one member,
//! [`ROWS`], is its observations rendered as CSV (a header of the variable names, then one
//! line per observation), as an SQLite database's tables are ([`sqlite`](super::sqlite)).
//! A patient file saved from Stata or with pandas' `DataFrame.to_stata` keeps its strings
//! in fixed-width fields padded with NULs, so a full-width SSN (`str11`) runs into the next
//! field (`237-82-20331956-02-17`) and its numbers, dates included, are binary: read as text
//! runs, nothing in it matched. Rendered, the rows meet every rule a CSV export meets, the
//! variable names as column labels.
//!
//! The reader walks the file format (<https://www.stata.com/help.cgi?dta>) read-only, in
//! safe Rust, for releases 113 to 115 (Stata 8 to 12: a binary header) and 117 to 119
//! (Stata 13 and later: a tagged header and a map of section offsets). Older releases
//! (104 to 112, before 1999's Stata 6 to 7) are not read: their missing values and types
//! differ, and they are not [`is_stata`]. Every count in the file is checked against the
//! bytes that hold what it counts before anything is sized by it, so a file cannot make the
//! reader allocate past its own length, and what is rendered is charged to the archive
//! budget as it goes: a long string (`strL`) that many observations share is rendered for
//! each of them, and paid for each time.
//!
//! What a value renders as:
//! - strings (`strN`, `strL`) end at their first NUL; releases 118 and 119 hold UTF-8, the
//!   earlier ones the writer's 8-bit encoding, read as Latin-1 (made UTF-8) unless the
//!   string is valid UTF-8 already. A binary `strL` renders only when it holds text.
//! - numbers shown with a date format are dates: `%td` (and 113–115's `%d`) days since
//!   1960 as `YYYY-MM-DD`, `%tc` and `%tC` milliseconds since 1960 as `YYYY-MM-DD HH:MM:SS`
//!   (`.mmm` added when not whole seconds; `%tC`'s leap seconds are not counted). Other
//!   date formats (`%tw`, `%tm`, `%tq`, `%th`, `%ty`) and dates out of Stata's range show
//!   their number.
//! - other numbers: integers in decimal; floats and doubles as their shortest decimal
//!   (an integral double prints as digits, so an MRN or SSN stored as a number reads as
//!   one), in exponent form below 1e-5 or from 1e16 on, which no identifier is.
//! - missing values (`.` and `.a` to `.z`) render as empty fields.
//!
//! Value labels (the names a coded variable's numbers stand for) are not rendered.

use super::archive::{charge, csv_field as field, push_latin1};
use super::calendar::{civil, decimal};
use std::collections::HashMap;
use std::io::Write as _;

/// The name of a data set's one member: its observations, as CSV.
pub const ROWS: &str = "(rows)";

/// Why a data set cannot be read (its header, map or a section is damaged or cut short).
const DAMAGED: &str = "a damaged Stata data set";

/// How releases 117 to 119 start, up to the release's last digit.
const TAGGED: &[u8] = b"<stata_dta><header><release>11";

/// A member of the archive a data set is: its name and its CSV, or why it cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// Whether `bytes` start as a Stata data set: the tag of release 117, 118 or 119, or the
/// binary header of release 113, 114 or 115 whose counts fit the file (at least one
/// variable, valid types and names, and the rows it declares all present).
pub fn is_stata(bytes: &[u8]) -> bool {
    tagged_release(bytes).is_some() || binary(bytes).is_some()
}

/// The observations of data set `bytes` as one member, [`ROWS`]: CSV under a header of the
/// variable names, in the file's order. What they render to is taken from `left`, the
/// archive's budget.
///
/// # Errors
///
/// Why the data set cannot be read, in words for the report: its header, map or a section
/// is damaged or cut short, or its rows render past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let set = match tagged_release(bytes) {
        Some(release) => tagged(bytes, release),
        None => binary(bytes),
    }
    .ok_or(DAMAGED)?;
    let text = set.render(left)?;
    Ok(vec![(ROWS.to_owned(), Ok(text))])
}

/// The release of a tagged data set (117, 118 or 119), from its first tag.
fn tagged_release(bytes: &[u8]) -> Option<u16> {
    match bytes.strip_prefix(TAGGED)?.get(..11)? {
        b"7</release>" => Some(117),
        b"8</release>" => Some(118),
        b"9</release>" => Some(119),
        _ => None,
    }
}

/// A variable's storage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    /// A string of at most this many bytes, padded with NULs.
    Str(usize),
    /// A reference (`v`, `o`) to a long string in the `<strls>` section.
    StrL,
    Byte,
    Int,
    Long,
    Float,
    Double,
}

impl Type {
    /// The bytes a value of the type takes in a row.
    fn width(self) -> usize {
        match self {
            Type::Str(n) => n,
            Type::Byte => 1,
            Type::Int => 2,
            Type::Long | Type::Float => 4,
            Type::StrL | Type::Double => 8,
        }
    }

    /// The type of code `code` of a binary header's type list (113 to 115).
    fn binary(code: u8) -> Option<Type> {
        match code {
            1..=244 => Some(Type::Str(usize::from(code))),
            251 => Some(Type::Byte),
            252 => Some(Type::Int),
            253 => Some(Type::Long),
            254 => Some(Type::Float),
            255 => Some(Type::Double),
            _ => None,
        }
    }

    /// The type of code `code` of a `<variable_types>` section (117 to 119).
    fn tagged(code: u64) -> Option<Type> {
        match code {
            1..=2045 => usize::try_from(code).ok().map(Type::Str),
            32768 => Some(Type::StrL),
            65526 => Some(Type::Double),
            65527 => Some(Type::Float),
            65528 => Some(Type::Long),
            65529 => Some(Type::Int),
            65530 => Some(Type::Byte),
            _ => None,
        }
    }
}

/// How a number is shown, from its variable's display format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Plain,
    /// Days since 1960-01-01 (`%td`, `%d`).
    Days,
    /// Milliseconds since 1960-01-01 00:00 (`%tc`, `%tC`).
    Millis,
}

impl Shown {
    /// How format `format` (`%td`, `%-tcDDmonCCYY`, `%9.0g`, …) shows a number.
    fn of(format: &[u8]) -> Shown {
        let format = format.strip_prefix(b"%").unwrap_or(b"");
        let format = format.strip_prefix(b"-").unwrap_or(format);
        if format.starts_with(b"td") || format.starts_with(b"d") {
            Shown::Days
        } else if format.starts_with(b"tc") || format.starts_with(b"tC") {
            Shown::Millis
        } else {
            Shown::Plain
        }
    }
}

/// A variable: its name (up to its NUL), type and display.
#[derive(Debug, Clone, Copy)]
struct Var<'a> {
    name: &'a [u8],
    typ: Type,
    shown: Shown,
}

/// A long string of the `<strls>` section, and whether it is binary (type 129).
#[derive(Debug, Clone, Copy)]
struct Strl<'a> {
    bytes: &'a [u8],
    binary: bool,
}

/// A data set read as far as its rows: what rendering needs, all borrowed from the file.
struct DataSet<'a> {
    vars: Vec<Var<'a>>,
    /// The rows: a whole number of `width` bytes.
    rows: &'a [u8],
    width: usize,
    big: bool,
    /// Strings are in an 8-bit encoding (releases before 118), read as Latin-1.
    latin1: bool,
    /// The bytes of a row's 8-byte `strL` reference that hold `v` (4 in 117, 2 in 118,
    /// 3 in 119); `o` is the rest.
    v_len: usize,
    /// The long strings, by (`v`, `o`).
    strls: HashMap<(u64, u64), Strl<'a>>,
}

/// A cursor over the file: each read is checked against its end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    big: bool,
}

impl<'a> Reader<'a> {
    /// A cursor at `at`, which the map gives as a number of the file's byte order.
    fn at(bytes: &'a [u8], at: u64, big: bool) -> Option<Self> {
        let at = usize::try_from(at).ok()?;
        Some(Reader { bytes, at, big })
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    /// An unsigned number of `n` bytes (at most 8) in the file's byte order.
    fn uint(&mut self, n: usize) -> Option<u64> {
        let bytes = self.take(n)?;
        Some(uint(bytes, self.big))
    }

    /// A count of `n` bytes, as a `usize`.
    fn count(&mut self, n: usize) -> Option<usize> {
        usize::try_from(self.uint(n)?).ok()
    }

    /// Steps past `tag`, which must come next.
    fn tag(&mut self, tag: &[u8]) -> Option<()> {
        (self.take(tag.len())? == tag).then_some(())
    }

    /// Whether `tag` comes next (without stepping past it).
    fn at_tag(&self, tag: &[u8]) -> bool {
        self.bytes
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(tag))
    }

    /// `count` items of `size` bytes each.
    fn items(&mut self, count: usize, size: usize) -> Option<&'a [u8]> {
        self.take(count.checked_mul(size)?)
    }
}

/// The unsigned number `bytes` hold (at most 8 of them), big- or little-endian (a SAS data
/// set's numbers are read with it too).
pub(super) fn uint(bytes: &[u8], big: bool) -> u64 {
    let fold = |n: u64, &b: &u8| n << 8 | u64::from(b);
    if big {
        bytes.iter().take(8).fold(0, fold)
    } else {
        bytes.iter().take(8).rev().fold(0, fold)
    }
}

/// Bytes up to the first NUL.
fn until_nul(bytes: &[u8]) -> &[u8] {
    memchr::memchr(0, bytes).map_or(bytes, |end| &bytes[..end])
}

/// The variables of `types` (one code each, read by `typ`), `names` and `formats`, the
/// fixed-width lists of a header; `None` when a type is unknown.
fn variables<'a>(
    types: impl Iterator<Item = Option<Type>>,
    names: &'a [u8],
    name_len: usize,
    formats: &'a [u8],
    format_len: usize,
) -> Option<Vec<Var<'a>>> {
    types
        .zip(names.chunks_exact(name_len))
        .zip(formats.chunks_exact(format_len))
        .map(|((typ, name), format)| {
            crate::work::add(name_len + format_len);
            Some(Var {
                name: until_nul(name),
                typ: typ?,
                shown: Shown::of(until_nul(format)),
            })
        })
        .collect()
}

/// The rows of `vars`: `nobs` of them, which must all be in the file at `r`.
fn rows<'a>(r: &mut Reader<'a>, vars: &[Var], nobs: u64) -> Option<(&'a [u8], usize)> {
    let width = vars
        .iter()
        .try_fold(0usize, |sum, v| sum.checked_add(v.typ.width()))?;
    let nobs = usize::try_from(nobs).ok()?;
    // Without variables there is nothing to render, however many observations.
    let rows = if width == 0 {
        &[][..]
    } else {
        r.items(nobs, width)?
    };
    Some((rows, width))
}

/// A data set of release 113, 114 or 115 (a binary header): the header, then fixed-width
/// lists of the variables' types, names, sort order, formats, value label names and
/// labels, then expansion fields, then the rows.
fn binary(bytes: &[u8]) -> Option<DataSet<'_>> {
    let &[release, order, 1, 0, ..] = bytes else {
        return None;
    };
    if !(113..=115).contains(&release) {
        return None;
    }
    let big = match order {
        1 => true,
        2 => false,
        _ => return None,
    };
    let mut r = Reader { bytes, at: 4, big };
    let nvar = r.count(2)?;
    let nobs = r.uint(4)?;
    // The data label (81 bytes) and the time stamp (18).
    r.take(81 + 18)?;
    let types = r.items(nvar, 1)?;
    let names = r.items(nvar, 33)?;
    r.items(nvar + 1, 2)?;
    let format_len = if release == 113 { 12 } else { 49 };
    let formats = r.items(nvar, format_len)?;
    r.items(nvar, 33 + 81)?;
    let types = types.iter().map(|&code| Type::binary(code));
    let vars = variables(types, names, 33, formats, format_len)?;
    // Names of 113 to 115 are ASCII and start with a letter or `_`: text that happens to
    // start with a release byte is not taken for a data set.
    let named = |v: &Var| {
        v.name
            .first()
            .is_some_and(|&b| b == b'_' || b.is_ascii_alphabetic())
    };
    if vars.is_empty() || !vars.iter().all(named) {
        return None;
    }
    expansion_fields(&mut r)?;
    let (rows, width) = rows(&mut r, &vars, nobs)?;
    Some(DataSet {
        vars,
        rows,
        width,
        big,
        latin1: true,
        v_len: 4,
        strls: HashMap::new(),
    })
}

/// Steps past the expansion fields of a binary header: a type byte and a 4-byte length
/// each, the last of type 0 and length 0. Each takes at least 5 bytes, so the loop ends.
fn expansion_fields(r: &mut Reader) -> Option<()> {
    loop {
        let typ = r.uint(1)?;
        let len = r.count(4)?;
        if typ == 0 && len == 0 {
            return Some(());
        }
        r.take(len)?;
        crate::work::add(len + 5);
    }
}

/// The sizes that differ between the tagged releases: the bytes of K (the number of
/// variables), N (of observations) and the data label's length, of a name and a format,
/// and of the `strL` references' `v` in a row and `o` in a `GSO` record.
struct Sizes {
    k: usize,
    n: usize,
    label: usize,
    name: usize,
    format: usize,
    v: usize,
    gso_o: usize,
}

impl Sizes {
    fn of(release: u16) -> Sizes {
        match release {
            117 => Sizes {
                k: 2,
                n: 4,
                label: 1,
                name: 33,
                format: 49,
                v: 4,
                gso_o: 4,
            },
            118 => Sizes {
                k: 2,
                n: 8,
                label: 2,
                name: 129,
                format: 57,
                v: 2,
                gso_o: 8,
            },
            _ => Sizes {
                k: 4,
                n: 8,
                label: 2,
                name: 129,
                format: 57,
                v: 3,
                gso_o: 8,
            },
        }
    }
}

/// Offsets of the map (`<map>`: 14 of them) to the sections read.
const MAP_TYPES: usize = 2;
const MAP_NAMES: usize = 3;
const MAP_FORMATS: usize = 5;
const MAP_DATA: usize = 9;
const MAP_STRLS: usize = 10;

/// A data set of release 117, 118 or 119: a tagged header, a map of where each section
/// starts, and the sections, each found by the map and checked to open with its tag.
fn tagged(bytes: &[u8], release: u16) -> Option<DataSet<'_>> {
    let sizes = Sizes::of(release);
    let (big, k, nobs, map) = tagged_header(bytes, &sizes)?;
    let section = |i: usize, tag: &[u8]| {
        let mut r = Reader::at(bytes, *map.get(i)?, big)?;
        r.tag(tag)?;
        Some(r)
    };
    let types = section(MAP_TYPES, b"<variable_types>")?.items(k, 2)?;
    let names = section(MAP_NAMES, b"<varnames>")?.items(k, sizes.name)?;
    let formats = section(MAP_FORMATS, b"<formats>")?.items(k, sizes.format)?;
    let types = types
        .chunks_exact(2)
        .map(|code| Type::tagged(uint(code, big)));
    let vars = variables(types, names, sizes.name, formats, sizes.format)?;
    let mut data = section(MAP_DATA, b"<data>")?;
    let (rows, width) = rows(&mut data, &vars, nobs)?;
    data.tag(b"</data>")?;
    let mut strls = section(MAP_STRLS, b"<strls>")?;
    let strls = long_strings(&mut strls, &sizes)?;
    Some(DataSet {
        vars,
        rows,
        width,
        big,
        latin1: release == 117,
        v_len: sizes.v,
        strls,
    })
}

/// The header of a tagged data set, through its map: the byte order (big-endian or not),
/// K, N and the map's offsets.
fn tagged_header(bytes: &[u8], sizes: &Sizes) -> Option<(bool, usize, u64, Vec<u64>)> {
    let mut r = Reader {
        bytes,
        at: TAGGED.len() + 1,
        big: false,
    };
    r.tag(b"</release><byteorder>")?;
    r.big = match r.take(3)? {
        b"MSF" => true,
        b"LSF" => false,
        _ => return None,
    };
    r.tag(b"</byteorder><K>")?;
    let k = r.count(sizes.k)?;
    r.tag(b"</K><N>")?;
    let nobs = r.uint(sizes.n)?;
    r.tag(b"</N><label>")?;
    let label = r.count(sizes.label)?;
    r.take(label)?;
    r.tag(b"</label><timestamp>")?;
    let stamp = r.count(1)?;
    r.take(stamp)?;
    r.tag(b"</timestamp></header><map>")?;
    let map = (0..14).map(|_| r.uint(8)).collect::<Option<Vec<u64>>>()?;
    r.tag(b"</map>")?;
    Some((r.big, k, nobs, map))
}

/// The long strings of a `<strls>` section, by (`v`, `o`): `GSO` records (`v` in 4 bytes,
/// `o` in 4 or 8, a type, 129 binary or 130 text ending in a NUL, and a 4-byte length),
/// then `</strls>`. Each record takes at least 16 bytes, so the loop ends.
fn long_strings<'a>(r: &mut Reader<'a>, sizes: &Sizes) -> Option<HashMap<(u64, u64), Strl<'a>>> {
    let mut strls = HashMap::new();
    while r.at_tag(b"GSO") {
        r.take(3)?;
        let v = r.uint(4)?;
        let o = r.uint(sizes.gso_o)?;
        let binary = match r.uint(1)? {
            129 => true,
            130 => false,
            _ => return None,
        };
        let len = r.count(4)?;
        let mut bytes = r.take(len)?;
        crate::work::add(len + 12 + sizes.gso_o);
        if !binary {
            bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
        }
        strls.insert((v, o), Strl { bytes, binary });
    }
    r.tag(b"</strls>")?;
    Some(strls)
}

/// A number of a row, missing values left out.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Int(i64),
    Float(f32),
    Double(f64),
}

impl DataSet<'_> {
    /// The header and the rows as CSV, each field charged to `left` as it is rendered.
    fn render(&self, left: &mut u64) -> Result<Vec<u8>, &'static str> {
        let mut text = Vec::new();
        if self.vars.is_empty() {
            return Ok(text);
        }
        let mut scratch = Vec::new();
        for (k, var) in self.vars.iter().enumerate() {
            if k > 0 {
                text.push(b',');
            }
            self.string(&mut text, &mut scratch, var.name);
        }
        text.push(b'\n');
        charge(left, text.len())?;
        if self.width == 0 {
            return Ok(text);
        }
        for row in self.rows.chunks_exact(self.width) {
            crate::work::add(row.len());
            let mut rest = row;
            for (k, var) in self.vars.iter().enumerate() {
                let start = text.len();
                if k > 0 {
                    text.push(b',');
                }
                let (value, tail) = rest.split_at_checked(var.typ.width()).ok_or(DAMAGED)?;
                rest = tail;
                self.value(&mut text, &mut scratch, var, value);
                crate::work::add(text.len() - start);
                charge(left, text.len() - start)?;
            }
            text.push(b'\n');
            charge(left, 1)?;
        }
        Ok(text)
    }

    /// Appends the value `raw` of variable `var` as a CSV field.
    fn value(&self, text: &mut Vec<u8>, scratch: &mut Vec<u8>, var: &Var, raw: &[u8]) {
        match var.typ {
            Type::Str(_) => self.string(text, scratch, until_nul(raw)),
            Type::StrL => {
                let (v, o) = raw.split_at_checked(self.v_len).unwrap_or_default();
                let key = (uint(v, self.big), uint(o, self.big));
                match self.strls.get(&key) {
                    Some(s) if !s.binary || super::classify(s.bytes) == super::Kind::Text => {
                        self.string(text, scratch, s.bytes);
                    }
                    _ => {}
                }
            }
            _ => {
                let Some(n) = number(var.typ, raw, self.big) else {
                    return;
                };
                let dated = match var.shown {
                    Shown::Days => date(text, n.as_f64(), 1),
                    Shown::Millis => date(text, n.as_f64(), MS_PER_DAY),
                    Shown::Plain => None,
                };
                if dated.is_none() {
                    plain(text, n);
                }
            }
        }
    }

    /// Appends string `raw` as a CSV field, Latin-1 made UTF-8 if the data set is 8-bit
    /// and `raw` is not valid UTF-8.
    fn string(&self, text: &mut Vec<u8>, scratch: &mut Vec<u8>, raw: &[u8]) {
        if !self.latin1 || std::str::from_utf8(raw).is_ok() {
            field(text, raw);
            return;
        }
        scratch.clear();
        push_latin1(scratch, raw);
        field(text, scratch);
    }
}

/// The number `raw` holds as type `typ` (not a string type), or `None` when it is
/// missing: the values above each type's largest (`.`, then `.a` to `.z`).
fn number(typ: Type, raw: &[u8], big: bool) -> Option<Number> {
    let bits = uint(raw, big);
    // Two's complement of the type's width, as the file stores it.
    let signed = |bits: u64, width: u32| (bits << (64 - width)) as i64 >> (64 - width);
    let int = |n: i64, max: i64| (n <= max).then_some(Number::Int(n));
    match typ {
        Type::Byte => int(signed(bits, 8), 100),
        Type::Int => int(signed(bits, 16), 32_740),
        Type::Long => int(signed(bits, 32), 2_147_483_620),
        Type::Float => {
            let x = f32::from_bits(u32::try_from(bits).ok()?);
            (x.is_finite() && x < 2f32.powi(127)).then_some(Number::Float(x))
        }
        Type::Double => {
            let x = f64::from_bits(bits);
            (x.is_finite() && x < 2f64.powi(1023)).then_some(Number::Double(x))
        }
        Type::Str(_) | Type::StrL => None,
    }
}

impl Number {
    fn as_f64(self) -> f64 {
        match self {
            Number::Int(n) => n as f64,
            Number::Float(x) => f64::from(x),
            Number::Double(x) => x,
        }
    }
}

/// Appends number `n` in decimal: an integer as it is, a float or double as its shortest
/// decimal, in exponent form when below 1e-5 or from 1e16 on.
fn plain(text: &mut Vec<u8>, n: Number) {
    let exponent = |x: f64| x != 0.0 && !(1e-5..1e16).contains(&x.abs());
    // Writing to a `Vec` cannot fail.
    let _ = match n {
        Number::Int(n) => write!(text, "{n}"),
        Number::Float(x) if exponent(f64::from(x)) => write!(text, "{x:e}"),
        Number::Float(x) => write!(text, "{x}"),
        Number::Double(x) => {
            decimal(text, x);
            Ok(())
        }
    };
}

const MS_PER_DAY: i64 = 86_400_000;

/// The days from 1960-01-01 of the first and last dates shown (0100-01-01 and
/// 9999-12-31, Stata's own range); others are shown as numbers.
const FIRST_DAY: i64 = -679_350;
const LAST_DAY: i64 = 2_936_549;

/// Appends `value` (a count of units, `unit` of them a day, since 1960-01-01) as a date,
/// with the time of day when `unit` is less than a day; `None` (and nothing appended) when
/// it is out of Stata's range of dates.
fn date(text: &mut Vec<u8>, value: f64, unit: i64) -> Option<()> {
    let units = value.floor();
    // Checked as a float, so the cast below is exact: whole units, well inside an i64.
    let (first, end) = (FIRST_DAY * unit, (LAST_DAY + 1) * unit);
    if !(first as f64..end as f64).contains(&units) {
        return None;
    }
    let units = units as i64;
    // Days from 1960-01-01; 1970-01-01 is 3653 days later.
    let (y, m, d) = civil(units.div_euclid(unit) - 3653);
    write!(text, "{y:04}-{m:02}-{d:02}").ok()?;
    if unit > 1 {
        let ms = units.rem_euclid(unit);
        let (h, min, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        write!(text, " {h:02}:{min:02}:{s:02}").ok()?;
        if ms != 0 {
            write!(text, ".{ms:03}").ok()?;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests;
