//! Fuzzing harnesses (issue 25): one function per target, shared by the property tests
//! (`fuzzing::tests`, bounded case counts in `cargo test`), the stable loop driver
//! (`fuzzing::tests::drive`, `#[ignore]`d) and the cargo-fuzz targets in `fuzz/`.
//!
//! Every harness takes arbitrary bytes, so that libFuzzer, proptest and a random loop feed
//! them alike. Targets whose interesting inputs are structured (FHIR/YAML/XML/HL7 shapes,
//! loose objects, index files, ref lines, packs) decode the bytes into that structure first
//! ([`shape`], [`loose_object`], …): each byte picks a token or a separator, so a mutation of
//! the bytes is a mutation of the shape. The separators include `\r\n`, `\r`, NUL and invalid
//! UTF-8: the shapes that found the YAML/FSH CRLF hang.
//!
//! Each harness asserts what it can check (no panic; the fast path equals a naive
//! reference where one exists) and returns the work it counted ([`crate::work`]; 0 unless
//! the `fuzzing` feature or a test build counts), which the callers bound by the input size.
//! Not part of the library's contract.

use crate::detect::structure::{csv, hl7, json, memo, x12, xml};
use std::ops::Range;
use std::path::PathBuf;

/// The work counted on this thread since the last call (0 when counting is compiled out).
pub fn steps() -> u64 {
    #[cfg(any(test, feature = "fuzzing"))]
    return crate::work::take();
    #[cfg(not(any(test, feature = "fuzzing")))]
    0
}

/// Up to `n` positions spread over `0..len` (all of them when `len <= n`), from the input.
fn positions(len: usize, n: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    if len <= n {
        return (0..len).collect();
    }
    (0..n).map(|i| i * len / n).collect()
}

/// `text` as a string, for the targets that take one.
fn lossy(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

// ---------------------------------------------------------------------------------------
// Shapes.

/// Separators: the line endings and damaged bytes the walkers must survive.
const SEPS: &[&[u8]] = &[
    b"\n", b"\r\n", b"\r", b"\n", b"\r\n", b"", b" ", b"\0", b"\xff", b"\xc3", b"\t", b"\n\n",
];

const YAML: &[&[u8]] = &[
    b"resourceType: Patient",
    b"name:",
    b"  - family: Ortega",
    b"    given: [Rosa]",
    b"identifier:",
    b"  - system: http://hl7.org/fhir/sid/us-ssn",
    b"    value: ",
    b"  system: urn:oid:1.3.6.1.4.1.54392.5.1",
    b"birthDate: ",
    b"gender: female",
    b"address:",
    b"  postalCode: ",
    b"telecom:",
    b"  - value: ",
    b"---",
    b"- ",
    b"# note",
    b"  ",
];

const FSH: &[&[u8]] = &[
    b"Instance: p1",
    b"InstanceOf: Patient",
    b"Usage: #example",
    b"* name.family = \"Ortega\"",
    b"* name.given = \"Rosa\"",
    b"* identifier.system = \"http://hl7.org/fhir/sid/us-ssn\"",
    b"* identifier.value = \"",
    b"* birthDate = \"",
    b"* address.postalCode = \"",
    b"\"",
    b"// note",
];

const JSON: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"{\"resourceType\":\"Patient\"",
    b"\"resourceType\":\"Bundle\",\"entry\":[",
    b"{\"resource\":",
    b"\"identifier\":[",
    b"{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"",
    b"\"name\":[{\"family\":\"Ortega\",\"given\":[\"Rosa\"]}]",
    b"\"birthDate\":\"",
    b"\"ssn\":\"",
];

const XML: &[&[u8]] = &[
    b"<Patient xmlns=\"http://hl7.org/fhir\">",
    b"</Patient>",
    b"<identifier>",
    b"</identifier>",
    b"<system value=\"http://hl7.org/fhir/sid/us-ssn\"/>",
    b"<value value=\"",
    b"\"/>",
    b"<birthDate value=\"",
    b"<family value=\"Ortega\"/>",
    b"<",
    b">",
    b"<!--",
    b"-->",
    b"<ssn>",
    b"</ssn>",
];

const HL7: &[&[u8]] = &[
    b"MSH|^~\\&|EPIC|HOSP|LAB|HOSP|20240101120000||ADT^A01|M1|P|2.5",
    b"MSH|",
    b"PID|1||",
    b"^^^HOSP^MR||Ortega^Rosa||",
    b"|F|||||||||",
    b"|",
    b"^",
    b"~",
    b"\\",
    b"&",
    b"ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*P*:~",
    b"NM1*IL*1*Ortega*Rosa****MI*",
    b"DMG*D8*",
    b"REF*SY*",
    b"~",
    b"*",
];

const CSV: &[&[u8]] = &[
    b"mrn,first_name,last_name,dob,ssn",
    b"name;ssn;dob",
    b"patient\tssn",
    b",",
    b";",
    b"\t",
    b"\"",
    b"Ortega",
    b"Rosa",
    b"MR",
];

const TEXT: &[&[u8]] = &[
    b"ssn: ",
    b"SSN ",
    b"patient ",
    b"id ",
    b" ssn",
    b"DOB ",
    b"MRN ",
    b"password = \"",
    b"api_key=",
    b"phiguard:allow",
    b"-----BEGIN PRIVATE KEY-----",
];

/// Formats a [`shape`] can take: the path (which selects the validators) and its vocabulary.
/// HTML and XML with what the fold reads through: inline tags (with white space and line
/// ends inside), character references, percent and backslash escapes, look-alikes.
const HTML: &[&[u8]] = &[
    b"<td>",
    b"</td>",
    b"<span style='font-size:11.0pt'>",
    b"</span>",
    b"<span\nlang=EN-US style='a b'>",
    b"<span\r\nlang=EN-US>",
    b"<b>",
    b"</b>",
    b"<content styleCode=\"Bold\">",
    b"</content>",
    b"<a href=\"x\">",
    b"<br>",
    b"<o:p></o:p>",
    b"<span style='",
    b"&#45;",
    b"&#x2011;",
    b"&ndash;",
    b"&nbsp;",
    b"&#45",
    b"%2D",
    b"%E2%80%93",
    b"\\u002d",
    b"\\x2d",
    b"\\/",
    b"\xE2\x80\x93",
    b"SSN: ",
    b"DOB ",
    b"<",
    b"&",
    b"%",
    b"\\",
];

const FORMATS: &[(&str, &[&[u8]])] = &[
    ("patient.yaml", YAML),
    ("patient.yml", YAML),
    ("patient.fsh", FSH),
    ("patient.json", JSON),
    ("patients.ndjson", JSON),
    ("patient.xml", XML),
    ("adt.hl7", HL7),
    ("claim.x12", HL7),
    ("patients.csv", CSV),
    ("notes.txt", TEXT),
    ("notes.md", YAML),
    // Last, so that the regression inputs' first bytes still pick what they picked.
    ("record.html", HTML),
    ("summary.xml", HTML),
];

/// A value made of digits (and dashes), built from `b`: SSN, date, ZIP and MRN shapes.
fn value(b: u8, out: &mut Vec<u8>) {
    let n = 2_654_435_761_u32.wrapping_mul(u32::from(b) + 1) % 10_000;
    let s = match b % 6 {
        0 => format!(
            "{}-{:02}-{:04}",
            101 + b as u32 % 600,
            1 + b % 98,
            1 + n % 9998
        ),
        1 => format!("19{:02}-{:02}-{:02}", b % 100, 1 + b % 12, 1 + b % 28),
        2 => format!("{:05}", n * 7 % 100_000),
        3 => format!("MR{}", 1_000_000 + n * 97),
        4 => format!(
            "{}{:02}{:04}",
            101 + b as u32 % 600,
            1 + b % 98,
            1 + n % 9998
        ),
        _ => format!("{}", n),
    };
    out.extend_from_slice(s.as_bytes());
}

/// Decodes bytes into a document: the first byte picks the format (its path and vocabulary);
/// then each pair of bytes is a token (or, for a high first byte, a value or a raw byte) and
/// a separator.
pub fn shape(data: &[u8]) -> (&'static str, Vec<u8>) {
    let Some((&pick, rest)) = data.split_first() else {
        return ("empty.txt", Vec::new());
    };
    let (path, vocab) = FORMATS[usize::from(pick) % FORMATS.len()];
    let mut out = Vec::with_capacity(rest.len() * 16);
    for pair in rest.chunks(2) {
        let (t, s) = (pair[0], pair.get(1).copied().unwrap_or(0));
        match t {
            0..=199 => out.extend_from_slice(vocab[usize::from(t) % vocab.len()]),
            200..=239 => value(s, &mut out),
            _ => out.push(s),
        }
        if t < 240 {
            out.extend_from_slice(SEPS[usize::from(s) % SEPS.len()]);
        }
    }
    (path, out)
}

// ---------------------------------------------------------------------------------------
// Harnesses.

/// The line splitter against a naive split on `\n`, over the whole text and a sub-span,
/// with the digit counts.
pub fn lines(data: &[u8]) -> u64 {
    let naive = |span: Range<usize>| -> Vec<(usize, usize, u32)> {
        let mut out = Vec::new();
        let mut start = span.start;
        for i in span.clone() {
            if data[i] == b'\n' {
                out.push((start, i + 1, 0));
                start = i + 1;
            }
        }
        if start < span.end {
            out.push((start, span.end, 0));
        }
        for l in &mut out {
            l.2 = data[l.0..l.1].iter().filter(|b| b.is_ascii_digit()).count() as u32;
        }
        out
    };
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) % (data.len() + 1));
    for span in [0..data.len(), cut..data.len(), 0..cut] {
        let mut got = Vec::new();
        crate::lines::for_each_line_with_digits(data, span.clone(), |s, e, d| got.push((s, e, d)));
        assert_eq!(got, naive(span.clone()), "lines of {span:?}");
        let mut bounds = Vec::new();
        crate::lines::for_each_line(data, span.clone(), |s, e| bounds.push((s, e)));
        let want: Vec<_> = got.iter().map(|l| (l.0, l.1)).collect();
        assert_eq!(bounds, want, "line bounds of {span:?}");
    }
    data.len() as u64
}

/// Added lines: the bytes are split at the first NUL-NUL into an old and a new version
/// (NUL-free text is both an old version and, with one byte changed, the new); the regions
/// must equal a naive set difference of lines (a line ends after `\n`; `\r\n` and `\n`
/// endings, and a last line without one, count as the same line).
pub fn added(data: &[u8]) -> u64 {
    let (old, new): (Vec<u8>, Vec<u8>) = match memchr::memmem::find(data, b"\0\0") {
        Some(i) => (data[..i].to_vec(), data[i + 2..].to_vec()),
        None => {
            let mut new = data.to_vec();
            if let Some(&b) = data.first() {
                let at = usize::from(b) % data.len();
                new[at] = b'X';
            }
            (data.to_vec(), new)
        }
    };
    let got = crate::source::added::added_regions(&[&old], &new);
    let key = |t: &[u8]| -> Vec<u8> {
        let t = t.strip_suffix(b"\n").unwrap_or(t);
        t.strip_suffix(b"\r").unwrap_or(t).to_vec()
    };
    let split = |t: &[u8]| -> Vec<Range<usize>> {
        let mut out = Vec::new();
        crate::lines::for_each_line(t, 0..t.len(), |s, e| out.push(s..e));
        out
    };
    let seen: std::collections::HashSet<Vec<u8>> =
        split(&old).into_iter().map(|r| key(&old[r])).collect();
    let mut want: Vec<Range<usize>> = Vec::new();
    if old.is_empty() {
        want = crate::source::whole_region(new.len());
    } else {
        for r in split(&new) {
            if seen.contains(&key(&new[r.clone()])) {
                continue;
            }
            match want.last_mut() {
                Some(last) if last.end == r.start => last.end = r.end,
                _ => want.push(r),
            }
        }
    }
    assert_eq!(got, want, "added regions");
    (old.len() + new.len()) as u64
}

/// The index reader on the bytes, and on the bytes behind a valid header (versions 2–4) so
/// that entries are reached; whatever it accepts is walked.
pub fn index(data: &[u8]) -> u64 {
    let mut total = 0u64;
    let mut with_header = Vec::with_capacity(data.len() + 32);
    let version = 2 + u32::from(data.first().copied().unwrap_or(0) % 3);
    let count = u32::from(data.get(1).copied().unwrap_or(1) % 8);
    with_header.extend_from_slice(b"DIRC");
    with_header.extend_from_slice(&version.to_be_bytes());
    with_header.extend_from_slice(&count.to_be_bytes());
    with_header.extend_from_slice(data.get(2..).unwrap_or(&[]));
    with_header.extend_from_slice(&[0u8; 20]);
    for bytes in [data, &with_header[..]] {
        if let Some(ix) = crate::source::index::parse(bytes) {
            for e in &ix.entries {
                total += e.path.len() as u64;
            }
            total += ix.trees.len() as u64;
        }
    }
    total + split_index(data) + data.len() as u64
}

/// A split index around the bytes: the first byte picks how many entries the shared index
/// has (up to 7) and how many named entries the split index adds (a sparse directory among
/// them); the rest are its `link` bitmaps. Once as raw bytes behind as many unnamed
/// replacements as the first byte says, once as bit positions (each byte modulo 8, the first
/// half deleted, the second replaced) encoded as EWAH, with one unnamed replacement per
/// replaced position: what git writes. Whatever [`crate::source::index::load`] accepts is
/// walked, and the second form, when accepted, must hold every entry that was not deleted.
fn split_index(data: &[u8]) -> u64 {
    let (&shape, rest) = data.split_first().unwrap_or((&0, &[]));
    let sum = [0x5a; 20];
    let shared: Vec<(Vec<u8>, u32)> = (0..shape % 8)
        .map(|i| (format!("p{i}").into_bytes(), 0o100644))
        .collect();
    let mut named: Vec<(Vec<u8>, u32)> = (0..(shape >> 5) % 4)
        .map(|i| (format!("q{i}").into_bytes(), 0o100644))
        .collect();
    let sparse = shape & 0x80 != 0;
    if sparse {
        named.push((b"r/".to_vec(), 0o040000));
    }
    let (del, rep) = rest.split_at(rest.len() / 2);
    let positions = |bytes: &[u8]| bytes.iter().fold(0u64, |w, p| w | 1 << (p % 8));
    let (deleted, replaced) = (positions(del), positions(rep));
    let ewah = |word: u64| {
        let mut e = 64u32.to_be_bytes().to_vec();
        e.extend_from_slice(&2u32.to_be_bytes());
        e.extend_from_slice(&(1u64 << 33).to_be_bytes());
        e.extend_from_slice(&word.to_be_bytes());
        e.extend_from_slice(&0u32.to_be_bytes());
        e
    };
    let unnamed = |n: u32| (0..n).map(|_| (Vec::new(), 0o100644));
    let raw = unnamed(u32::from((shape >> 3) % 4)).chain(named.iter().cloned());
    let encoded = unnamed(replaced.count_ones()).chain(named.iter().cloned());
    let mut total = 0u64;
    for (own, bitmaps, git_like) in [
        (raw.collect::<Vec<_>>(), rest.to_vec(), false),
        (
            encoded.collect(),
            [ewah(deleted), ewah(replaced)].concat(),
            true,
        ),
    ] {
        let mut ext = b"link".to_vec();
        ext.extend_from_slice(&((20 + bitmaps.len()) as u32).to_be_bytes());
        ext.extend_from_slice(&sum);
        ext.extend_from_slice(&bitmaps);
        if sparse {
            ext.extend_from_slice(b"sdir\0\0\0\0");
        }
        let split = index_file(&own, &ext, [0; 20]);
        let shared_bytes = index_file(&shared, b"", sum);
        let cell = std::cell::OnceCell::new();
        let merged = crate::source::index::load(&split, &cell, |_| Some(shared_bytes));
        if let Some(ix) = &merged {
            assert!(
                ix.entries.iter().all(|e| !e.path.is_empty()),
                "an entry without a path"
            );
            assert!(
                ix.entries.is_sorted_by(|a, b| a.path < b.path),
                "entries out of order"
            );
            total += ix.entries.len() as u64;
        }
        let in_range = (deleted | replaced) >> shared.len() == 0;
        if git_like && in_range && deleted & replaced == 0 {
            let kept = shared.len() - deleted.count_ones() as usize;
            let got = merged.map(|ix| ix.entries.len());
            assert_eq!(got, Some(kept + named.len()), "what git writes is read");
        }
        total += split.len() as u64;
    }
    total
}

/// A version 3 index file of `entries` (path, mode; directories skip-worktree), extensions
/// `ext` and checksum `sum`.
fn index_file(entries: &[(Vec<u8>, u32)], ext: &[u8], sum: [u8; 20]) -> Vec<u8> {
    let mut d = b"DIRC".to_vec();
    d.extend_from_slice(&3u32.to_be_bytes());
    d.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    for (path, mode) in entries {
        let start = d.len();
        let dir = crate::source::mode::is_tree(*mode);
        d.extend_from_slice(&[0u8; 24]);
        d.extend_from_slice(&mode.to_be_bytes());
        d.extend_from_slice(&[0u8; 12]);
        d.extend_from_slice(&[0xab; 20]);
        let flags = path.len().min(0xfff) as u16 | if dir { 0x4000 } else { 0 };
        d.extend_from_slice(&flags.to_be_bytes());
        if dir {
            d.extend_from_slice(&0x4000u16.to_be_bytes());
        }
        d.extend_from_slice(path);
        let len = (d.len() - start + 8) & !7;
        d.resize(start + len, 0);
    }
    d.extend_from_slice(ext);
    d.extend_from_slice(&sum);
    d
}

/// A scratch loose object store for this thread (under the system's temporary directory),
/// removed when the thread ends.
fn scratch_objects() -> PathBuf {
    struct Scratch(PathBuf);
    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    thread_local! {
        static DIR: Scratch = {
            static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Scratch(std::env::temp_dir().join(format!("phiguard-fuzz-{}-{n}", std::process::id())))
        };
    }
    DIR.with(|dir| dir.0.clone())
}

/// The loose object file a harness input stands for: the first byte picks raw bytes, or a
/// blob, tree or commit body compressed and then cut (at a length from the second byte)
/// or with a byte flipped — the damaged objects libgit2 spun on.
pub fn loose_object(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let (mode, cut, body) = match data {
        [m, c, rest @ ..] => (*m, *c, rest),
        _ => return data.to_vec(),
    };
    if mode % 4 == 0 {
        return body.to_vec();
    }
    let kind: &[u8] = match mode % 4 {
        1 => b"blob",
        2 => b"tree",
        _ => b"commit",
    };
    // The header may lie about the size (high bit of the mode).
    let size = if mode & 0x80 != 0 {
        body.len() + usize::from(cut)
    } else {
        body.len()
    };
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = z.write_all(kind);
    let _ = write!(z, " {size}\0");
    let _ = z.write_all(body);
    let mut out = z.finish().unwrap_or_default();
    match mode & 0x60 {
        0x20 => out.truncate(usize::from(cut) * out.len() / 256),
        0x40 if !out.is_empty() => {
            let at = usize::from(cut) % out.len();
            out[at] ^= 0x5a;
        }
        _ => {}
    }
    out
}

/// The loose-object reader on [`loose_object`]'s file: blob (under two size limits), tree,
/// commit parents, corruption check. None may panic or hang; a damaged stream must be
/// either refused by the fast path or named corrupt.
pub fn loose(data: &[u8]) -> u64 {
    let file = loose_object(data);
    let objects = scratch_objects();
    let id = git2::Oid::from_str("0123456789abcdef0123456789abcdef01234567").expect("hex id");
    let hex = id.to_string();
    let dir = objects.join(&hex[..2]);
    std::fs::create_dir_all(&dir).expect("scratch object directory");
    std::fs::write(dir.join(&hex[2..]), &file).expect("scratch object file");
    let _ = crate::source::loose::read_blob(&objects, id, 1 << 20);
    let _ = crate::source::loose::read_blob(&objects, id, 16);
    let _ = crate::source::loose::read_tree(&objects, id);
    let _ = crate::source::loose::commit_parents(&objects, id);
    let _ = crate::source::loose::is_corrupt(&objects, id);
    file.len() as u64
}

/// The gitleaks RE2 translator on the text as a regex, and the converter on it as a gitleaks
/// configuration (and as the `regex` of one rule).
pub fn gitleaks(data: &[u8]) -> u64 {
    let text = lossy(data);
    if let Ok(re) = crate::rules::gitleaks::translate(&text) {
        // What the translator gives must be a regex the engine accepts, or an error.
        let _ = regex::bytes::RegexBuilder::new(&re)
            .size_limit(1 << 20)
            .build();
    }
    let _ = crate::rules::gitleaks::convert("fuzz.toml", &text);
    let one = format!(
        "[[rules]]\nid = \"fuzz\"\ndescription = \"fuzz\"\nregex = '''{}'''\nkeywords = [\"a\"]\n",
        text.replace("'''", "")
    );
    let _ = crate::rules::gitleaks::convert("fuzz.toml", &one);
    data.len() as u64
}

/// A configuration file and a rule pack from the text: parsed, resolved, and a pack that
/// parses is compiled.
pub fn config(data: &[u8]) -> u64 {
    let text = lossy(data);
    if let Ok(file) = toml::from_str::<crate::config::ConfigFile>(&text) {
        let _ = crate::config::Config::resolve(vec![(PathBuf::from("fuzz.toml"), file)]);
    }
    if let Ok(pack) = crate::rules::load::parse("fuzz.toml", &text) {
        let _ = crate::detect::RuleDbBuilder::new().pack(pack).build();
    }
    data.len() as u64
}

/// Ref lines for the hook stdin parsers: each byte picks a piece (an id, a ref name, a
/// separator, a damaged byte).
pub fn ref_lines(data: &[u8]) -> String {
    const PIECES: &[&str] = &[
        "0123456789abcdef0123456789abcdef01234567",
        "0000000000000000000000000000000000000000",
        "89abcdef0123456789abcdef0123456789abcdef01234567",
        "refs/heads/main",
        "refs/tags/v1",
        "HEAD",
        " ",
        "\n",
        "\r\n",
        "\t",
        "\0",
        "0123",
        "zz",
        "\u{1b}[31m",
        "refs/heads/a b",
        "(delete)",
    ];
    data.iter()
        .map(|b| PIECES[usize::from(*b) % PIECES.len()])
        .collect()
}

/// The pre-receive and pre-push stdin parsers, on the raw text and on [`ref_lines`].
pub fn refs(data: &[u8]) -> u64 {
    for text in [lossy(data), ref_lines(data)] {
        let parsed = [
            crate::source::refs::parse_receive(&text),
            crate::source::refs::parse_push(&text),
        ];
        for updates in parsed.into_iter().flatten() {
            assert!(
                updates.len() <= text.lines().count(),
                "more updates than lines"
            );
        }
    }
    data.len() as u64
}

/// The structure walkers (JSON, XML, HL7, X12, CSV) at positions spread over the text, with
/// and without their memo.
pub fn structure(data: &[u8]) -> u64 {
    let (_, text) = shape(data);
    let t = &text[..];
    let walk = || {
        for pos in positions(t.len(), 24) {
            if let Some(obj) = json::enclosing_object(t, pos) {
                for m in json::members(t, obj.clone()) {
                    assert!(m.key.end <= t.len() && m.value.end <= t.len());
                }
                let _ = json::resource_type(t, obj.clone());
                let _ = json::strings_named_any(t, obj, &[b"value", b"system"]);
            }
            let _ = json::resource_at(t, pos);
            if t[pos] == b'{' {
                let end = json::object_end(t, pos);
                assert!(end > pos && end <= t.len());
            }
            let tag = xml::tag_at(t, pos);
            let _ = xml::attr(t, tag.clone(), b"value");
            let _ = xml::sibling_value(t, pos);
            if t[pos] == b'<' {
                let el = xml::element(t, pos, b"identifier");
                let _ = xml::values_of(t, el, b"value");
            }
            let d = hl7::delims_at(t, pos);
            let seg = hl7::segment(t, pos);
            let fields = hl7::fields(t, seg, d);
            let _ = hl7::field(t, &fields, 3);
            let seps = x12::seps_at(t, pos);
            let seg = x12::segment(t, pos, seps);
            let _ = x12::elements(t, seg, seps);
            let (ls, le) = (
                memo::prev_newline(t, pos).map_or(0, |i| i + 1),
                memo::next_newline(t, pos).unwrap_or(t.len()),
            );
            if ls <= le {
                let _ = csv::row_with_header(t, ls..le);
                let _ = csv::column_name(t, &(pos..(pos + 1).min(le.max(pos + 1))));
            }
        }
    };
    walk();
    memo::remembering(t, walk);
    t.len() as u64
}

/// The rule database every engine harness shares (the built-in packs).
fn engine_db() -> &'static crate::detect::RuleDb {
    static DB: std::sync::OnceLock<crate::detect::RuleDb> = std::sync::OnceLock::new();
    DB.get_or_init(|| {
        crate::detect::RuleDbBuilder::builtin_for_scanning()
            .and_then(crate::detect::RuleDbBuilder::build)
            .expect("the built-in packs compile")
    })
}

/// The whole engine (every validator) on a [`shape`]: whole-file and as an edit whose
/// added region is the second half.
pub fn engine(data: &[u8]) -> u64 {
    let (path, text) = shape(data);
    scan_text(path, text)
}

/// The whole engine on `text` as `path`.
pub fn scan_text(path: &str, text: Vec<u8>) -> u64 {
    let policy = crate::policy::Policy::default();
    let key = crate::fingerprint::Key::from_bytes(*b"fuzz");
    let engine = crate::scan::Engine {
        db: engine_db(),
        policy: &policy,
        detect: crate::detect::DetectOptions::default(),
        fingerprint_key: &key,
    };
    let len = text.len() as u64;
    let mut scratch = crate::detect::Scratch::default();
    let mut item = crate::source::Item::whole(path, text);
    let found = engine.scan_item(&item, &mut scratch);
    assert!(found.is_ok(), "the engine fails on {path}");
    let half = item.text.len() / 2;
    let start = memchr::memrchr(b'\n', &item.text[..half]).map_or(0, |i| i + 1);
    item.added = crate::source::whole_region(item.text.len() - start)
        .into_iter()
        .map(|r| r.start + start..r.end + start)
        .collect();
    let _ = engine.scan_item(&item, &mut scratch);
    len
}

/// A harness: input bytes in, counted size out.
pub type Harness = fn(&[u8]) -> u64;

/// Every target by name.
pub const TARGETS: &[(&str, Harness)] = &[
    ("lines", lines),
    ("added", added),
    ("index", index),
    ("loose", loose),
    ("gitleaks", gitleaks),
    ("config", config),
    ("refs", refs),
    ("structure", structure),
    ("engine", engine),
];

#[cfg(test)]
mod tests;
