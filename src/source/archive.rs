//! Archives opened for their members: gzip, bzip2, xz, zstd, lz4 and lzip files, zip (and what
//! is built on it: `.xlsx`, `.docx`, `.jar`), tar and 7z, nested in each other too. A patient extract that
//! is compressed is still a patient extract: skipped as binary, `gzip patients.csv` was a way
//! past every hook, and unscannable, `df.to_csv("patients.csv.xz")` passed every local one. An
//! SQLite database is opened here too, its tables as members ([`sqlite`](super::sqlite)), a
//! Stata data set its observations as the member `(rows)` ([`stata`](super::stata)), an
//! Apache Parquet file its rows the same way ([`parquet`](super::parquet)), as are an SPSS
//! system file's cases ([`spss`](super::spss)) and a SAS transport file's data sets
//! ([`xport`](super::xport)), and an Excel 97-2003 workbook's sheets ([`xls`](super::xls)).
//! An Outlook message's text and attachments are its members ([`msg`](super::msg)).
//! An Excel workbook's sheets are read as CSV ([`xlsx`](super::xlsx)), as are an
//! OpenDocument spreadsheet's tables (`ods`), and a Word document's parts as
//! their text ([`docx`](super::docx)).
//!
//! A member is shown as `archive!member` (gitleaks' convention), a nested one as
//! `outer.zip!inner.tar!data.csv`; a compressed file's one member is named after the file
//! without `.gz`, `.bz2`, `.xz`, `.zst`, `.lz4` or `.lz`, and a compressed tar (`.tar.gz`,
//! `.tgz`, `.tar.xz`) shows the tar's members directly. A zip member is read stored, deflated,
//! or compressed with bzip2, LZMA, zstd or Deflate64 (decoded in `methods`). An xz file may
//! ask for a dictionary of up to 64 MiB (`xz -9`), a zstd frame (a zip member's too) for a
//! window as large, an lzip member, a 7z block or a zip member compressed with LZMA for a
//! dictionary as large; a larger one is a damaged file.
//!
//! What cannot be read is unscannable (named in the report, rejected by a server, like
//! undecodable text), as narrowly as possible: a member that is encrypted, damaged,
//! compressed with a method phiguard does not inflate (a 7z block of PPMd, say: its files), an
//! archive of a kind it does not open (RAR), or one nested more than [`MAX_DEPTH`] deep is one
//! unreadable member, and the others are still read. An archive whose directory is damaged,
//! that names one member twice, or that expands past the budget is unscannable whole.
//!
//! Everything an archive expands to counts against one budget (`max_file_bytes`, each member
//! charged [`MEMBER_COST`] besides its bytes), so a small bomb cannot take the memory.

use std::io::Read;

/// Archives inside archives opened at most this deep (`a.zip!b.tar!c.gz` is 3).
pub const MAX_DEPTH: usize = 4;

/// What each member costs of the budget besides its bytes (its name and bookkeeping): a zip
/// of a million empty members must not make a million items.
pub const MEMBER_COST: u64 = 256;

/// One file inside an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its name inside the archive, nested names joined with `!`.
    pub name: String,
    /// Its content, expanded, or why it cannot be read (in words for the report).
    pub bytes: Result<Vec<u8>, &'static str>,
}

/// The member name of a document's text: what a PDF's pages draw, what an RTF document
/// shows (`letter.pdf!(text)`).
pub(super) const TEXT_MEMBER: &str = "(text)";

/// Why an archive expands no further: over the budget.
pub(super) const OVER_BUDGET: &str = "an archive that expands past max_file_bytes";

/// A data file's reader: its tables, each a name and its rows as CSV (or why they cannot be
/// read), what they render to taken from the budget; `Err` when the file cannot be read.
type Tables =
    fn(&[u8], &mut u64) -> Result<Vec<(String, Result<Vec<u8>, &'static str>)>, &'static str>;

/// Whether bytes start as a kind of data file.
type Detect = fn(&[u8]) -> bool;

/// A document's reader: its text, what it takes charged to the budget.
type Text = fn(&[u8], &mut u64) -> Result<Vec<u8>, &'static str>;

/// The kind of archive `bytes` start as, if any.
#[derive(Debug, Clone, Copy)]
enum Format {
    /// One compressed file (or a compressed tar): gzip, bzip2, xz or zstd.
    Compressed(Codec),
    Zip,
    Tar,
    SevenZ,
    /// A data file read as tables, by its reader: an SQLite database ([`sqlite`](super::sqlite),
    /// its tables), a Stata data set ([`stata`](super::stata)) or an SPSS system file
    /// ([`spss`](super::spss), their observations), an Apache Parquet file
    /// ([`parquet`](super::parquet), its rows, and a member for each column that cannot be
    /// read), an Apache Arrow IPC file or stream, Feather v2 included ([`arrow`](super::arrow),
    /// the same), a SAS transport file ([`xport`](super::xport), each of its data sets), an
    /// Excel 97-2003 workbook ([`xls`](super::xls), each of its sheets).
    Data(Tables),
    /// A document read as its text, its one member [`TEXT_MEMBER`]: a PDF
    /// ([`pdf`](super::pdf), the text its pages draw) or an RTF document
    /// ([`rtf`](super::rtf), the text a word processor shows).
    Document(Text),
    /// A compressed file or archive phiguard does not open, in words.
    Closed(&'static str),
}

/// The compressions of one file that phiguard inflates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    Lz4,
    Lzip,
}

impl Codec {
    /// The file name endings that say the compression, stripped from the member's name.
    fn suffixes(self) -> &'static [&'static str] {
        match self {
            Codec::Gzip => &[".gz", ".gzip"],
            Codec::Bzip2 => &[".bz2", ".bzip2"],
            Codec::Xz => &[".xz"],
            Codec::Zstd => &[".zst", ".zstd"],
            Codec::Lz4 => &[".lz4"],
            Codec::Lzip => &[".lz"],
        }
    }

    /// Why a damaged file of it cannot be read.
    fn damaged(self) -> &'static str {
        match self {
            Codec::Gzip => "a damaged gzip file",
            Codec::Bzip2 => "a damaged bzip2 file",
            Codec::Xz => "a damaged xz file",
            Codec::Zstd => "a damaged zstd file",
            Codec::Lz4 => "a damaged lz4 file",
            Codec::Lzip => "a damaged lzip file",
        }
    }

    /// `bytes` inflated, what they expand to taken from `left`.
    fn inflate(self, bytes: &[u8], left: &mut u64) -> Result<Vec<u8>, &'static str> {
        let inflated = match self {
            Codec::Gzip => {
                // The trailer's size (modulo 2^32) of the last member: room for it at once.
                let size = bytes
                    .last_chunk::<4>()
                    .map_or(0, |s| u64::from(u32::from_le_bytes(*s)));
                take(flate2::read::MultiGzDecoder::new(bytes), size, left)
            }
            Codec::Bzip2 => take(bzip2::read::MultiBzDecoder::new(bytes), 0, left),
            // A dictionary of up to 64 MiB, what `xz -9` writes: a header that asks for
            // more is refused before anything is allocated for it.
            Codec::Xz => take(
                lzma_rust2::XzReader::new_mem_limit(bytes, true, XZ_MEMORY_KIB),
                0,
                left,
            ),
            Codec::Zstd => ZstdFrames::new(bytes)
                .map_err(|_| None)
                .and_then(|frames| take(frames, 0, left)),
            // Frame after frame, the legacy format (`lz4 -l`) and skippable frames too; what
            // follows the last frame is damage.
            Codec::Lz4 if !lz4_whole(bytes) => Err(None),
            Codec::Lz4 => frame_after_frame(bytes, left, |rest, left| {
                take(lz4_flex::frame::FrameDecoder::new(rest), 0, left)
            }),
            Codec::Lzip => inflate_lzip(bytes, left),
        };
        inflated.map_err(|e| e.unwrap_or(self.damaged()))
    }
}

/// `bytes` inflated frame after frame until none is left: `frame` inflates the frame at the
/// front of what is left (reading it off) within the budget `left`, as [`take`] does. A frame
/// that reads nothing is damage (`Err(None)`), so the loop always moves on.
fn frame_after_frame(
    bytes: &[u8],
    left: &mut u64,
    mut frame: impl FnMut(&mut &[u8], &mut u64) -> Result<Vec<u8>, Option<&'static str>>,
) -> Result<Vec<u8>, Option<&'static str>> {
    let mut rest = bytes;
    let mut out = Vec::new();
    while !rest.is_empty() {
        let before = rest.len();
        out.append(&mut frame(&mut rest, left)?);
        if rest.len() >= before {
            return Err(None);
        }
    }
    Ok(out)
}

/// Zstd frames one after another, read as one stream (as `zstd -d` and libzip read them,
/// `cat a.zst b.zst` is one file): a frame past the first was a place to hide content, and
/// what follows the last frame is damage. A `.zst` file and a zip member compressed with
/// zstd ([`methods`]) are read through it.
struct ZstdFrames<R: std::io::BufRead> {
    frame: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: std::io::BufRead> ZstdFrames<R> {
    fn new(raw: R) -> std::io::Result<Self> {
        Ok(ZstdFrames {
            frame: Some(Self::frame(raw)?),
        })
    }

    /// The frame at the front of `raw`, its window at most [`ZSTD_MAX_WINDOW`].
    fn frame(
        raw: R,
    ) -> std::io::Result<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>
    {
        ruzstd::decoding::StreamingDecoder::new_with_max_window_size(raw, ZSTD_MAX_WINDOW)
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))
    }
}

impl<R: std::io::BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Each turn starts a frame (reading its header) or ends the stream: it ends.
        loop {
            let Some(frame) = self.frame.as_mut() else {
                return Ok(0);
            };
            let n = frame.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(mut rest) = self.frame.take().map(|f| f.into_inner()) else {
                return Ok(0);
            };
            if !rest.fill_buf()?.is_empty() {
                self.frame = Some(Self::frame(rest)?);
            }
        }
    }
}

/// Whether `bytes` are whole lz4 frames end to end (the frame format, `lz4 -l`'s legacy
/// format, skippable frames), walked by their block sizes without inflating them. The frame
/// decoder stops without an error at a block boundary, so a cut file read as whatever whole
/// blocks it held, and a lone header as an empty file.
fn lz4_whole(mut b: &[u8]) -> bool {
    const FRAME: u32 = 0x184D_2204;
    const LEGACY: u32 = 0x184C_2102;
    const SKIPPABLE: std::ops::RangeInclusive<u32> = 0x184D_2A50..=0x184D_2A5F;
    let word = |b: &[u8], at: usize| {
        b.get(at..at.checked_add(4)?)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    };
    let magic = |w: u32| w == FRAME || w == LEGACY || SKIPPABLE.contains(&w);
    while !b.is_empty() {
        let Some(kind) = word(b, 0) else {
            return false;
        };
        let mut at = 4;
        if kind == FRAME {
            let Some(&flags) = b.get(4) else {
                return false;
            };
            let has = |bit: u8, len: usize| if flags & bit != 0 { len } else { 0 };
            // FLG and BD, the content size and dictionary id when present, the header's
            // checksum.
            at += 2 + has(0x08, 8) + has(0x01, 4) + 1;
            loop {
                let Some(size) = word(b, at) else {
                    return false;
                };
                at += 4;
                if size == 0 {
                    break;
                }
                at = at.saturating_add((size & 0x7FFF_FFFF) as usize + has(0x10, 4));
            }
            at = at.saturating_add(has(0x04, 4));
        } else if kind == LEGACY {
            // Blocks behind their sizes, up to the end or the next frame's magic number.
            while let Some(size) = word(b, at).filter(|&w| !magic(w)) {
                at = at.saturating_add(4 + size as usize);
            }
        } else if SKIPPABLE.contains(&kind) {
            let Some(size) = word(b, 4) else {
                return false;
            };
            at = 8usize.saturating_add(size as usize);
        } else {
            return false;
        }
        let Some(rest) = b.get(at..) else {
            return false;
        };
        b = rest;
    }
    true
}

/// An lzip file inflated, member after member, within the budget `left`: a member that asks
/// for a dictionary past [`XZ_MEMORY_KIB`] is refused before anything is allocated for it,
/// and bytes after the last member (which `lzip -d` passes over) are damage, not a place to
/// keep what nobody reads. `Err(None)` when it is damaged, as [`take`].
fn inflate_lzip(bytes: &[u8], left: &mut u64) -> Result<Vec<u8>, Option<&'static str>> {
    use lzma_rust2::{Action, LzipStream, Status};
    let mut stream = LzipStream::new_mem_limit(true, XZ_MEMORY_KIB);
    let mut out = Vec::new();
    let mut chunk = vec![0; 64 << 10];
    let mut rest = bytes;
    loop {
        let step = stream
            .process(rest, &mut chunk, Action::Finish)
            .map_err(|_| None)?;
        rest = rest.get(step.bytes_consumed..).ok_or(None)?;
        charge(left, step.bytes_produced)?;
        out.extend_from_slice(&chunk[..step.bytes_produced]);
        match step.status {
            Status::StreamEnd if rest.is_empty() && stream.unused_input().is_empty() => {
                return Ok(out);
            }
            Status::StreamEnd => return Err(None),
            Status::Ok if step.bytes_consumed == 0 && step.bytes_produced == 0 => {
                return Err(None);
            }
            Status::Ok => {}
        }
    }
}

/// The memory an xz file may ask for, in KiB: a 64 MiB dictionary (`xz -9`) and its
/// decoder's state.
const XZ_MEMORY_KIB: u32 = 66 * 1024;

/// The largest window a zstd frame may ask for: 64 MiB, as for xz (`zstd --long` writes
/// 128 MiB windows and is refused).
const ZSTD_MAX_WINDOW: u64 = 64 << 20;

/// Magic bytes of the compressed files and archives phiguard knows but does not open.
const CLOSED: &[(&[u8], &str)] = &[(
    b"Rar!\x1A\x07",
    "a RAR archive, which phiguard does not open",
)];

/// The memory a 7z archive's header, or one decoder of a block, may ask for, in KiB: as
/// for xz.
const SEVENZ_MEMORY_KIB: usize = XZ_MEMORY_KIB as usize;

fn format(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0x1f, 0x8b, 0x08]) {
        Some(Format::Compressed(Codec::Gzip))
    } else if bytes.starts_with(b"\xFD7zXZ\x00") {
        Some(Format::Compressed(Codec::Xz))
    } else if bytes.starts_with(b"\x28\xB5\x2F\xFD") {
        Some(Format::Compressed(Codec::Zstd))
    } else if bytes.starts_with(b"\x04\x22\x4D\x18") || bytes.starts_with(b"\x02\x21\x4C\x18") {
        Some(Format::Compressed(Codec::Lz4))
    } else if bytes.starts_with(b"LZIP\x01") {
        Some(Format::Compressed(Codec::Lzip))
    } else if bytes.starts_with(b"7z\xBC\xAF\x27\x1C") {
        Some(Format::SevenZ)
    } else if is_bzip2(bytes) {
        Some(Format::Compressed(Codec::Bzip2))
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Format::Zip)
    } else if bytes.get(257..262) == Some(b"ustar") || is_v7_tar(bytes) {
        Some(Format::Tar)
    } else if let Some(read) = data_reader(bytes) {
        Some(Format::Data(read))
    } else if super::pdf::is_pdf(bytes) {
        Some(Format::Document(super::pdf::text))
    } else if super::rtf::is_rtf(bytes) {
        Some(Format::Document(super::rtf::text))
    } else {
        CLOSED
            .iter()
            .find(|(magic, _)| bytes.starts_with(magic))
            .map(|&(_, what)| Format::Closed(what))
    }
}

/// The reader of the data file `bytes` start as, if any.
fn data_reader(bytes: &[u8]) -> Option<Tables> {
    let readers: [(Detect, Tables); 10] = [
        (super::sqlite::is_sqlite, super::sqlite::tables),
        (super::stata::is_stata, super::stata::tables),
        (super::parquet::is_parquet, super::parquet::tables),
        (super::spss::is_spss, super::spss::tables),
        (super::xport::is_xport, super::xport::tables),
        (super::sas7bdat::is_sas7bdat, super::sas7bdat::tables),
        (super::xls::is_xls, super::xls::tables),
        (super::msg::is_msg, super::msg::tables),
        (super::arrow::is_arrow, super::arrow::tables),
        (super::pickle::is_pickle, super::pickle::tables),
    ];
    readers
        .into_iter()
        .find(|(is, _)| is(bytes))
        .map(|(_, read)| read)
}

/// A tar archive in the format before POSIX (V7, and what .NET's and old GNU writers make):
/// no `ustar` magic, so it is known by its first header instead: a name, and a checksum
/// (octal, at 148) that is the sum of the header's bytes with the checksum's own eight read
/// as spaces. Without this, `tar --format=v7 -czf p.tar.gz patients.csv` got past every hook.
fn is_v7_tar(bytes: &[u8]) -> bool {
    let Some(header) = bytes.get(..512) else {
        return false;
    };
    let field = &header[148..156];
    let digits = field
        .iter()
        .copied()
        .skip_while(|&b| b == b' ')
        .take_while(u8::is_ascii_digit)
        .collect::<Vec<u8>>();
    let rest = &field[field.iter().take_while(|&&b| b == b' ').count() + digits.len()..];
    if header[0] == 0
        || digits.is_empty()
        || digits.iter().any(|&d| d > b'7')
        || !rest.iter().all(|&b| b == 0 || b == b' ')
    {
        return false;
    }
    let stored = digits.iter().fold(0u32, |n, &d| {
        n.saturating_mul(8).saturating_add(u32::from(d - b'0'))
    });
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(b)
            }
        })
        .sum();
    stored == sum
}

/// `BZh1`..`BZh9` and a block's (or the end's) 48-bit magic: text that starts `BZh5` is no
/// bzip2 file.
fn is_bzip2(bytes: &[u8]) -> bool {
    matches!(bytes, [b'B', b'Z', b'h', b'1'..=b'9', rest @ ..]
        if rest.starts_with(&[0x31, 0x41, 0x59, 0x26, 0x53, 0x59])
            || rest.starts_with(&[0x17, 0x72, 0x45, 0x38, 0x50, 0x90]))
}

/// Whether `bytes` are an archive or compressed file (by their magic bytes, never by the
/// name): one phiguard opens, or one it names as unscannable.
pub fn is_archive(bytes: &[u8]) -> bool {
    format(bytes).is_some()
}

/// The files archive `bytes` (shown as `name`) holds, archives among them opened in turn;
/// directories, links and empty members are left out. A member that cannot be read says why
/// in its [`Member::bytes`].
///
/// # Errors
///
/// Why the archive cannot be read at all, in words for the report: it is damaged (its
/// directory, or a gzip or tar stream), of a kind phiguard does not open, names a member
/// twice, or expands past `budget` bytes.
pub fn members(name: &str, bytes: &[u8], budget: u64) -> Result<Vec<Member>, &'static str> {
    let mut out = Vec::new();
    let mut left = budget;
    open(name, "", bytes, 1, &mut left, &mut out)?;
    Ok(out)
}

/// Opens `bytes` (shown as `name`), pushing its members onto `out` named `prefix` + their
/// name.
fn open(
    name: &str,
    prefix: &str,
    bytes: &[u8],
    depth: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), &'static str> {
    if depth > MAX_DEPTH {
        return Err("archives nested too deep to open");
    }
    match format(bytes) {
        Some(Format::Compressed(codec)) => {
            let inner = codec.inflate(bytes, left)?;
            if is_archive(&inner) {
                // `.tar.gz`, `.tar.xz`: the tar's members, as if the tar stood there.
                open(name, prefix, &inner, depth + 1, left, out)
            } else {
                let base = name.rsplit(['/', '!']).next().unwrap_or(name);
                let stem = codec
                    .suffixes()
                    .iter()
                    .find_map(|suffix| strip_suffix_ci(base, suffix))
                    .filter(|s| !s.is_empty())
                    .unwrap_or("-");
                add(format!("{prefix}{stem}"), Ok(inner), depth, left, out)
            }
        }
        Some(Format::Zip) => {
            let start = out.len();
            zip_members(prefix, bytes, depth, left, out)?;
            // A document's text in place of its XML, a spreadsheet's tables in place of its
            // content.
            super::docx::render(out, start, prefix, left)?;
            super::ods::render(out, start, prefix, left)
        }
        Some(Format::Tar) => tar_members(prefix, bytes, depth, left, out),
        Some(Format::SevenZ) => sevenz_members(prefix, bytes, depth, left, out),
        Some(Format::Data(read)) => {
            for (name, rows) in read(bytes, left)? {
                add(format!("{prefix}{name}"), rows, depth, left, out)?;
            }
            Ok(())
        }
        Some(Format::Document(read)) => {
            let text = read(bytes, left)?;
            add(format!("{prefix}{TEXT_MEMBER}"), Ok(text), depth, left, out)
        }
        Some(Format::Closed(what)) => Err(what),
        None => Err("not an archive"),
    }
}

/// Keeps a member: an archive is opened in its place (one that cannot be opened, or is
/// nested too deep, is an unreadable member), an empty one is left out. Only the budget
/// stops the whole archive.
fn add(
    name: String,
    bytes: Result<Vec<u8>, &'static str>,
    depth: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), &'static str> {
    *left = left.checked_sub(MEMBER_COST).ok_or(OVER_BUDGET)?;
    match bytes {
        Ok(bytes) if bytes.is_empty() => Ok(()),
        Ok(bytes) if is_archive(&bytes) => {
            let prefix = format!("{name}!");
            // What an inner archive gave before it failed is kept: read is read.
            match open(&name, &prefix, &bytes, depth + 1, left, out) {
                Err(why) if why != OVER_BUDGET => {
                    out.push(Member {
                        name,
                        bytes: Err(why),
                    });
                    Ok(())
                }
                other => other,
            }
        }
        bytes => {
            out.push(Member { name, bytes });
            Ok(())
        }
    }
}

/// How a zip member's content is read.
#[derive(Clone, Copy)]
enum ZipWay {
    /// Stored or deflated: by the zip reader, which checks its CRC-32.
    Reader,
    /// Compressed with a method phiguard decodes itself ([`methods`]).
    Decoded,
}

/// Why a zip member cannot be read because of its method.
const UNREAD_METHOD: &str = "a zip member compressed with a method phiguard does not read";

/// Why a zip member cannot be read: it is damaged (its CRC-32, its size or its compressed
/// stream), or asks for more memory than phiguard gives a decoder.
const DAMAGED_MEMBER: &str = "a damaged zip member";

/// The content of member `i` of `zip`, read as `way` says (decoded as it is read).
fn zip_member_reader<'z>(
    zip: &'z mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    i: usize,
    way: ZipWay,
) -> Result<Box<dyn Read + 'z>, &'static str> {
    match way {
        ZipWay::Reader => match zip.by_index(i) {
            Ok(entry) => Ok(Box::new(entry)),
            Err(_) => Err(DAMAGED_MEMBER),
        },
        ZipWay::Decoded => {
            let raw = zip.by_index_raw(i).map_err(|_| DAMAGED_MEMBER)?;
            let entry = methods::Entry {
                method: raw.compression(),
                flags: raw.flags().as_u16(),
                size: raw.size(),
                crc32: raw.crc32(),
            };
            methods::reader(&entry, raw).map_err(|_| DAMAGED_MEMBER)
        }
    }
}

fn zip_members(
    prefix: &str,
    bytes: &[u8],
    depth: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), &'static str> {
    const DAMAGED: &str = "a damaged zip archive";
    const ENCRYPTED: &str = "an encrypted zip member";
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| DAMAGED)?;
    // The reader keeps one entry per name; the other would be content nobody looked at.
    if zip.has_duplicate_names() {
        return Err("a zip archive that names a member twice");
    }
    // A workbook's sheets are read as CSV as they inflate; its shared strings, read into
    // them, are a member only if a sheet could not be.
    let book = super::xlsx::Book::open(&mut zip, left)?;
    let mut all_sheets_read = true;
    let shared_strings = book.as_ref().and_then(|b| b.shared_strings.clone());
    for i in 0..zip.len() {
        let (name, dir, way, size) = {
            let raw = zip.by_index_raw(i).map_err(|_| DAMAGED)?;
            let name = String::from_utf8_lossy(raw.name_raw()).into_owned();
            // Stored and deflated are what zip writers make by default, and the zip reader
            // inflates them; bzip2, LZMA, zstd and Deflate64 (7-Zip, `zip -Z bzip2`, Windows
            // Explorer) are decoded here, within the same limits as a file of their kind.
            // Anything else (PPMd, the old methods) is left unread.
            let method = raw.compression();
            let way = if raw.encrypted() {
                Err(ENCRYPTED)
            } else if matches!(
                method,
                zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
            ) {
                Ok(ZipWay::Reader)
            } else if methods::decodes(method) {
                Ok(ZipWay::Decoded)
            } else {
                Err(UNREAD_METHOD)
            };
            (name, raw.is_dir(), way, raw.size())
        };
        if dir || shared_strings.as_deref() == Some(name.as_str()) {
            continue;
        }
        if let (Some(book), Ok(way)) = (&book, way)
            && let Some(sheet) = book.sheet(&name)
        {
            // A member that does not open is read below, where it says why.
            if let Ok(entry) = zip_member_reader(&mut zip, i, way) {
                match book.render(entry, left) {
                    Ok(csv) => {
                        add(format!("{prefix}{sheet}"), Ok(csv), depth, left, out)?;
                        continue;
                    }
                    Err(Some(over)) => return Err(over),
                    // Read as the XML it is, below.
                    Err(None) => all_sheets_read = false,
                }
            } else {
                all_sheets_read = false;
            }
        }
        let content = match way {
            Err(why) => Err(why),
            Ok(way) => match zip_member_reader(&mut zip, i, way) {
                Err(why) => Err(why),
                Ok(entry) => {
                    // Each reader checks the member's CRC-32 at its end: a damaged member
                    // fails here.
                    match take(entry, size, left) {
                        Ok(content) => Ok(content),
                        Err(Some(over)) => return Err(over),
                        Err(None) => Err(DAMAGED_MEMBER),
                    }
                }
            },
        };
        add(format!("{prefix}{name}"), content, depth, left, out)?;
    }
    if let Some(path) = shared_strings.filter(|_| !all_sheets_read) {
        let entry = zip.by_name(&path).map_err(|_| DAMAGED)?;
        let size = entry.size();
        let content = take(entry, size, left).map_err(|e| e.unwrap_or(DAMAGED))?;
        add(format!("{prefix}{path}"), Ok(content), depth, left, out)?;
    }
    Ok(())
}

fn tar_members(
    prefix: &str,
    bytes: &[u8],
    depth: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), &'static str> {
    const DAMAGED: &str = "a damaged tar archive";
    let mut tar = tar::Archive::new(bytes);
    for entry in tar.entries().map_err(|_| DAMAGED)? {
        let entry = entry.map_err(|_| DAMAGED)?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse()) {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let size = entry.size();
        let content = take(entry, size, left).map_err(|e| e.unwrap_or(DAMAGED))?;
        add(format!("{prefix}{name}"), Ok(content), depth, left, out)?;
    }
    Ok(())
}

/// A 7z archive's members, block by block. A block phiguard cannot decode (encrypted, or
/// compressed with PPMd, Deflate or another method it does not read) makes each of its files
/// an unreadable member, and the other blocks are still read; an archive whose names are
/// encrypted (`7z -mhe=on`), or that names a member twice, is unscannable whole.
fn sevenz_members(
    prefix: &str,
    bytes: &[u8],
    depth: usize,
    left: &mut u64,
    out: &mut Vec<Member>,
) -> Result<(), &'static str> {
    use sevenz_rust2::{Archive, BlockDecoder, Error, Password};
    const ENCRYPTED: &str = "an encrypted 7z member";
    const UNREAD: &str =
        "a 7z member that is damaged or compressed with a method phiguard does not read";
    let mut source = std::io::Cursor::new(bytes);
    let password = Password::empty();
    let archive = Archive::read_with_memory_limit(&mut source, &password, SEVENZ_MEMORY_KIB)
        .map_err(|e| match e {
            // Without a password (and without the AES coder) an encrypted header is one of
            // these.
            Error::PasswordRequired | Error::MaybeBadPassword(_) => {
                "a 7z archive whose names are encrypted"
            }
            Error::UnsupportedCompressionMethod(m) if m.contains("AES") => {
                "a 7z archive whose names are encrypted"
            }
            Error::UnsupportedCompressionMethod(_) => {
                "a 7z archive whose header is compressed with a method phiguard does not read"
            }
            _ => "a damaged 7z archive",
        })?;
    let mut names = std::collections::HashSet::new();
    if !archive
        .files
        .iter()
        .filter(|f| !f.is_directory)
        .all(|f| names.insert(f.name.as_str()))
    {
        return Err("a 7z archive that names a member twice");
    }
    for block in 0..archive.blocks.len() {
        let first = archive.stream_map.block_first_file_index.get(block);
        let why = if first.is_some_and(|&f| archive.is_file_encrypted(f)) {
            ENCRYPTED
        } else {
            UNREAD
        };
        let decoder = BlockDecoder::new_with_memory_limit(
            1,
            SEVENZ_MEMORY_KIB,
            block,
            &archive,
            &password,
            &mut source,
        );
        let files: Vec<String> = decoder
            .entries()
            .iter()
            .filter(|f| f.has_stream && !f.is_directory)
            .map(|f| f.name.clone())
            .collect();
        let mut read: Vec<Vec<u8>> = Vec::new();
        let mut over = false;
        // The reader checks each file's CRC as it ends: a damaged file fails here.
        let _ = decoder.for_each_entries(&mut |entry, reader| {
            if !entry.has_stream || entry.is_directory {
                return Ok(true);
            }
            match take(reader, entry.size, left) {
                Ok(content) => {
                    read.push(content);
                    Ok(true)
                }
                Err(e) => {
                    over = e.is_some();
                    Err(Error::Other("not read".into()))
                }
            }
        });
        if over {
            return Err(OVER_BUDGET);
        }
        for (i, name) in files.into_iter().enumerate() {
            let content = if i < read.len() {
                Ok(std::mem::take(&mut read[i]))
            } else {
                Err(why)
            };
            add(format!("{prefix}{name}"), content, depth, left, out)?;
        }
    }
    Ok(())
}

/// Takes `len` bytes of what a reader renders from the budget `left`: the data readers
/// charge each field as they write it.
pub(super) fn charge(left: &mut u64, len: usize) -> Result<(), &'static str> {
    *left = left.checked_sub(len as u64).ok_or(OVER_BUDGET)?;
    Ok(())
}

/// Reads `r` to its end within the budget `left` (which it lowers), with room for `size`
/// bytes (what the archive says the content is; no more than the budget is reserved on its
/// word). `Err(None)` when `r` fails, `Err(Some(why))` when the content is over the budget.
pub(super) fn take(
    r: impl Read,
    size: u64,
    left: &mut u64,
) -> Result<Vec<u8>, Option<&'static str>> {
    let room = size.min(left.saturating_add(1));
    let mut buf = Vec::with_capacity(usize::try_from(room).unwrap_or(0));
    r.take(left.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|_| None)?;
    *left = left
        .checked_sub(buf.len() as u64)
        .ok_or(Some(OVER_BUDGET))?;
    Ok(buf)
}

/// `raw` as text: as it is when it is UTF-8, else read as Latin-1 (each byte the character
/// of its code point), the 8-bit encoding data files and messages fall back on.
pub(super) fn utf8_or_latin1(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(raw.iter().map(|&b| char::from(b)).collect()),
    }
}

/// `bytes` without trailing blanks and NULs: a fixed-width field of a data set (SAS, SPSS,
/// a SAS transport file) as its writer padded it.
pub(super) fn trim_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Appends Latin-1 `raw` to `out` as UTF-8, into a buffer kept across values.
pub(super) fn push_latin1(out: &mut Vec<u8>, raw: &[u8]) {
    for &b in raw {
        if b < 0x80 {
            out.push(b);
        } else {
            out.extend_from_slice(&[0xc0 | b >> 6, 0x80 | (b & 0x3f)]);
        }
    }
}

/// Appends `value` as a CSV field: control bytes (but tab) made spaces, so a row stays text,
/// and quoted when it holds a comma, a quote or a line end.
pub(super) fn csv_field(text: &mut Vec<u8>, value: &[u8]) {
    let quote = value
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'));
    if quote {
        text.push(b'"');
    }
    for &b in value {
        match b {
            b'"' => text.extend_from_slice(b"\"\""),
            b'\t' | b'\n' | b'\r' => text.push(b),
            0..0x20 | 0x7f => text.push(b' '),
            _ => text.push(b),
        }
    }
    if quote {
        text.push(b'"');
    }
}

/// Appends `fields` as one CSV line ([`csv_field`] each, comma-separated, then `\n`).
pub(super) fn csv_line<'f>(text: &mut Vec<u8>, fields: impl IntoIterator<Item = &'f [u8]>) {
    for (k, field) in fields.into_iter().enumerate() {
        if k > 0 {
            text.push(b',');
        }
        csv_field(text, field);
    }
    text.push(b'\n');
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    (s.is_char_boundary(cut) && s[cut..].eq_ignore_ascii_case(suffix)).then(|| &s[..cut])
}

mod methods;

#[cfg(test)]
pub(super) mod tests;
