//! The zip compression methods phiguard decodes itself, from a member's raw bytes: bzip2
//! (12), LZMA (14), zstd (93) and Deflate64 (9). `zip -Z bzip2`, 7-Zip's `-mm=LZMA`,
//! `-mm=BZip2` and `-mm=Deflate64`, Windows Explorer (Deflate64, for large files) and zstd
//! writers (libzip, Python's `zipfile`) make them. The zip crate's own decoders for them take
//! no memory limit, so they are not used: each decoder here is bounded as the one for the
//! same kind of file is (a 64 MiB dictionary or window at most, what `xz -9` asks), and what
//! it gives is checked as the zip reader checks a deflated member, against the size and
//! CRC-32 its entry gives.

use super::{XZ_MEMORY_KIB, ZstdFrames};
use std::io::{self, BufRead, BufReader, Read};

/// The methods read here, by their number in the zip format.
pub(super) fn decodes(method: zip::CompressionMethod) -> bool {
    use zip::CompressionMethod as M;
    matches!(method, M::BZIP2 | M::LZMA | M::ZSTD | M::DEFLATE64)
}

/// The largest dictionary an LZMA member may ask for: 64 MiB, as an xz file or an lzip member
/// may (`xz -9`).
pub(super) const LZMA_MAX_DICT: u32 = 64 << 20;

/// What the entry of a member says of its content, and how it is compressed.
pub(super) struct Entry {
    /// Its compression method, one that [`decodes`].
    pub method: zip::CompressionMethod,
    /// Its general-purpose flags: bit 1 of an LZMA member says its stream has an end marker.
    pub flags: u16,
    /// Its size, uncompressed.
    pub size: u64,
    /// Its CRC-32.
    pub crc32: u32,
}

/// The content of a member compressed as `entry` says, decoded from `raw` (its compressed
/// bytes) as it is read and checked as it ends: a read fails when the decoder does, when the
/// content runs past the entry's size, or when it ends at another size or with another CRC-32.
/// Nothing is allocated on the word of a size field: the decoders hold a window (a
/// dictionary) of at most 64 MiB, an LZMA one no larger than the entry's size.
///
/// # Errors
///
/// When `raw` cannot start a stream of the method: an LZMA header that is not one, or that
/// asks for a dictionary past [`LZMA_MAX_DICT`]; a zstd frame header that is not one, or that
/// asks for a window past 64 MiB.
pub(super) fn reader<'r>(entry: &Entry, raw: impl Read + 'r) -> io::Result<Box<dyn Read + 'r>> {
    use zip::CompressionMethod as M;
    let decoded: Box<dyn Read + 'r> = match entry.method {
        // Stream after stream, as `bzip2 -d` reads them: a second stream is no place to hide.
        M::BZIP2 => Box::new(bzip2::read::MultiBzDecoder::new(raw)),
        M::ZSTD => Box::new(ZstdFrames::new(BufReader::new(raw))?),
        M::LZMA => Box::new(lzma(entry, raw)?),
        M::DEFLATE64 => Box::new(Deflate64 {
            inner: BufReader::new(raw),
            inflater: Box::new(deflate64::InflaterManaged::new()),
        }),
        _ => return Err(damaged()),
    };
    Ok(Box::new(Checked {
        inner: decoded,
        crc: crc32fast::Hasher::new(),
        read: 0,
        size: entry.size,
        crc32: entry.crc32,
    }))
}

fn damaged() -> io::Error {
    io::Error::from(io::ErrorKind::InvalidData)
}

/// An LZMA member: the LZMA SDK's version (2 bytes), the properties' size (2 bytes, little
/// endian: 5), the properties (the lc/lp/pb byte and the dictionary size, 4 bytes), then the
/// raw stream, which ends with an end marker when flag bit 1 is set and after the entry's
/// size when it is not.
fn lzma<'r>(entry: &Entry, mut raw: impl Read + 'r) -> io::Result<impl Read + 'r> {
    let mut header = [0u8; 9];
    raw.read_exact(&mut header)?;
    let [_, _, 5, 0, props, d0, d1, d2, d3] = header else {
        return Err(damaged());
    };
    let dict = u32::from_le_bytes([d0, d1, d2, d3]);
    let memory = lzma_rust2::lzma_get_memory_usage_by_props(dict.min(LZMA_MAX_DICT), props)
        .map_err(|_| damaged())?;
    if dict > LZMA_MAX_DICT || memory > XZ_MEMORY_KIB {
        return Err(damaged());
    }
    // The content is no longer than the entry says (more is damage, and stopped by the
    // check), so no dictionary need be larger: a small member gets a small one.
    let dict = dict.min(u32::try_from(entry.size).unwrap_or(u32::MAX));
    let size = if entry.flags & 0b10 != 0 {
        // Unknown: up to the end marker.
        u64::MAX
    } else {
        entry.size
    };
    lzma_rust2::LzmaReader::new_with_props(raw, size, props, dict, None).map_err(|_| damaged())
}

/// A Deflate64 stream (a 64 KiB window, longer matches), inflated into a window of 128 KiB.
struct Deflate64<R: BufRead> {
    inner: R,
    inflater: Box<deflate64::InflaterManaged>,
}

impl<R: BufRead> Read for Deflate64<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let input = self.inner.fill_buf()?;
            let end = input.is_empty();
            let step = self.inflater.inflate(input, buf);
            self.inner.consume(step.bytes_consumed);
            if step.data_error {
                return Err(damaged());
            }
            if step.bytes_written > 0 || end || self.inflater.finished() {
                // A stream cut short ends here too: the size and CRC-32 say it is damaged.
                return Ok(step.bytes_written);
            }
            if step.bytes_consumed == 0 {
                // Neither input taken nor output given: it would never end.
                return Err(damaged());
            }
        }
    }
}

/// A member's content as its decoder gives it, checked as the zip reader checks a deflated
/// member: past the size its entry gives, or ending at another size or with another CRC-32,
/// a read fails. The decoder is asked for no more than one byte past that size.
struct Checked<R> {
    inner: R,
    crc: crc32fast::Hasher,
    read: u64,
    size: u64,
    crc32: u32,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let room = usize::try_from(self.size.saturating_sub(self.read).saturating_add(1))
            .unwrap_or(usize::MAX);
        let len = buf.len().min(room);
        let n = self.inner.read(&mut buf[..len])?;
        self.read += n as u64;
        if self.read > self.size {
            return Err(damaged());
        }
        self.crc.update(&buf[..n]);
        if n == 0 && (self.read != self.size || self.crc.clone().finalize() != self.crc32) {
            return Err(damaged());
        }
        Ok(n)
    }
}
