//! Outlook messages (`.msg`: MAPI properties in the streams of an OLE2 compound file, after
//! [MS-OXMSG]) read as their text and their attachments. Read as text runs, a message showed
//! its body (UTF-16, which the text runs decode), but an attachment that is compressed — a
//! patient list as `.xlsx`, `.zip`, `.pdf`, `.docx` — is kept raw in a stream of its own and
//! was never opened: a `.msg` with the patient list attached got past every hook. As members,
//! each attachment is opened by [`archive`](super::archive) like any other file.
//!
//! The members of `mail.msg`:
//! - `(message)` (`mail.msg!(message)`): the message as UTF-8 text, a header a line —
//!   `Subject:`, `From:` (the sender's name and address), `To:` and `Cc:` (the display
//!   lists), a `Recipient:` line for each recipient (name and address), the transport headers
//!   as they were received — then a blank line and the plain-text body, or, when the message
//!   has none, its HTML body as it is; then the lines of the HTML body (read as text) and of
//!   the RTF body that hold a word the body before them lacks. A header with nothing to say
//!   is left out.
//! - each attachment, in the message's order, named by its long file name, else its short
//!   one, else its display name, else `attachment-N` (`N` counting from 1): `!`, `/`, `\` and
//!   control characters made `_`, cut to 255 bytes; a name already taken gets `-2`, `-3`, …
//!   before its extension, so no member is named twice. Its bytes are the attachment's data:
//!   a zip, a PDF, a workbook, a message file is opened in turn.
//! - an attached message (an embedded `.msg`, kept as a storage): its own `(message)` and
//!   attachments, under the attachment's name (`mail.msg!Fwd- results!(message)`,
//!   `mail.msg!Fwd- results!labs.csv`), messages nested at most [`MAX_NESTING`] deep (one
//!   deeper is an unreadable member).
//!
//! Property streams are named `__substg1.0_PPPPTTTT`, the property's id and type: UTF-16
//! strings (`001F`), 8-bit strings (`001E`, read as UTF-8 when they are, else as Latin-1) and
//! binary (`0102`). Only the children of a message's storage, its recipients' and its
//! attachments' are read, each directory entry at most once however the tree's links run
//! (the compound file reader, `cfb`), and every stream read is charged to the archive budget, the
//! rendered text once more: the work is linear in the file.
//!
//! What cannot be read is unreadable as narrowly as possible, never left out: an attachment
//! whose data stream is missing (and is not attached by reference, which has no data) or
//! damaged, an embedded OLE object (a storage that is no message), or a message text one of
//! whose streams is damaged is one unreadable member, and the others are still read. A
//! compound file that does not open is unreadable whole.
//!
//! The compressed RTF body (`1009`, what Outlook shows for a message written in RTF, and
//! some messages' only body) is decompressed and read as its text ([`rtf`](super::rtf)).
//! Outlook shows the HTML or RTF body, not the plain one, when it has them: a message whose
//! plain text says less than what is shown is read whole, and one whose bodies agree is
//! read once (a line that adds no word is left out).
//!
//! Not read: named properties
//! (`__nameid_version1.0`), and the fixed-size values of the property streams (dates,
//! flags, sizes), but for an attachment's method, which says whether it is attached by
//! reference.
//!
//! [MS-OXMSG]: https://learn.microsoft.com/en-us/openspecs/exchange_server_protocols/ms-oxmsg/

use super::archive::{OVER_BUDGET, charge, utf8_or_latin1};
use super::cfb::{self, Entry, File, ROOT_ID, Seen};
use std::collections::{HashMap, HashSet};

/// A member of the archive a message is: its name and its bytes, or why they cannot be read.
pub type Table = (String, Result<Vec<u8>, &'static str>);

/// The member of a message's text.
const MESSAGE: &str = "(message)";

/// Messages attached to messages are read this deep (the file's own is 1).
pub const MAX_NESTING: usize = 3;

/// A member name is cut to this many bytes.
const MAX_NAME: usize = 255;

/// The stream of a storage's fixed-size properties.
const PROPERTIES: &str = "__properties_version1.0";

/// How the names of property streams, recipients' and attachments' storages start.
const PROPERTY: &str = "__substg1.0_";
const RECIPIENT: &str = "__recip_version1.0_#";
const ATTACHMENT: &str = "__attach_version1.0_#";

/// The property streams: a string's types, and the tags of what is read.
const UNICODE: &str = "001F";
const STRING8: &str = "001E";
const BINARY: &str = "0102";
const SUBJECT: &str = "0037";
const SENDER_NAME: [&str; 2] = ["0C1A", "0042"];
const SENDER_ADDRESS: [&str; 4] = ["5D01", "0C1F", "5D02", "0065"];
const DISPLAY_TO: &str = "0E04";
const DISPLAY_CC: &str = "0E03";
const HEADERS: &str = "007D";
const BODY: &str = "1000";
const HTML: &str = "1013";
const RTF_COMPRESSED: &str = "10090102";
const DISPLAY_NAME: &str = "3001";
const ADDRESS: [&str; 2] = ["39FE", "3003"];
const FILE_NAME: [&str; 3] = ["3707", "3704", "3001"];
const DATA: &str = "37010102";
const EMBEDDED: &str = "3701000D";

/// PidTagAttachMethod in a properties stream, and its values for attachments by reference.
const ATTACH_METHOD: u32 = 0x3705_0003;
const BY_REFERENCE: [u32; 4] = [2, 3, 4, 7];

/// Why a message cannot be read: its compound file is damaged.
const DAMAGED: &str = "a damaged Outlook message";

/// Why a member cannot be read.
const DAMAGED_TEXT: &str = "a damaged Outlook message text";
const DAMAGED_ATTACHMENT: &str = "a damaged Outlook attachment";
const NO_DATA: &str = "an Outlook attachment without its data";
const OLE_OBJECT: &str = "an embedded OLE object, which phiguard does not read";
const TOO_DEEP: &str = "messages nested too deep";

/// Whether `bytes` are an Outlook message: a compound file whose root holds a properties
/// stream and a property stream. Only the header and the directory are read.
pub fn is_msg(bytes: &[u8]) -> bool {
    bytes.starts_with(&cfb::MAGIC)
        && File::open(bytes).is_some_and(|file| {
            let children = file.children(ROOT_ID, &mut file.seen());
            let has = |name: &str, exact: bool| {
                children.iter().any(|c| {
                    c.entry.is_stream()
                        && if exact {
                            c.name.eq_ignore_ascii_case(name)
                        } else {
                            starts_with_ci(&c.name, name)
                        }
                })
            };
            has(PROPERTIES, true) && has(PROPERTY, false)
        })
}

/// The members of message `bytes`: its text as `(message)`, then its attachments, each
/// under its name (an attached message as its own members under it). What is read is taken
/// from `left`, the archive's budget.
///
/// # Errors
///
/// Why the message cannot be read, in words for the report: its compound file is damaged,
/// or it reads past the budget.
pub fn tables(bytes: &[u8], left: &mut u64) -> Result<Vec<Table>, &'static str> {
    let file = File::open(bytes).ok_or(DAMAGED)?;
    let seen = file.seen();
    let mut reader = Reader {
        file,
        seen,
        left,
        out: Vec::new(),
    };
    reader.message(ROOT_ID, "", 1)?;
    Ok(reader.out)
}

/// A storage's children by kind.
#[derive(Default)]
struct Storage {
    /// Property streams (and storages) by tag, `PPPPTTTT` in capitals.
    properties: HashMap<String, Entry>,
    /// The fixed-size properties.
    fixed: Option<Entry>,
    /// Recipients' and attachments' storages, in the order of their names.
    recipients: Vec<Entry>,
    attachments: Vec<Entry>,
}

/// A message being read: the file, the entries met, the budget, the members so far.
struct Reader<'a, 'l> {
    file: File<'a>,
    seen: Seen,
    left: &'l mut u64,
    out: Vec<Table>,
}

impl Reader<'_, '_> {
    /// The children of storage `id` that no storage listed before.
    fn storage(&mut self, id: u32) -> Storage {
        let mut storage = Storage::default();
        let mut recipients = Vec::new();
        let mut attachments = Vec::new();
        for child in self.file.children(id, &mut self.seen) {
            let name = child.name.to_ascii_uppercase();
            if let Some(tag) = name.strip_prefix(&PROPERTY.to_ascii_uppercase()) {
                if tag.len() == 8 && tag.bytes().all(|b| b.is_ascii_hexdigit()) {
                    storage.properties.insert(tag.to_owned(), child.entry);
                }
            } else if name == PROPERTIES.to_ascii_uppercase() && child.entry.is_stream() {
                storage.fixed = Some(child.entry);
            } else if name.starts_with(&RECIPIENT.to_ascii_uppercase()) && child.entry.is_storage()
            {
                recipients.push((name, child.entry));
            } else if name.starts_with(&ATTACHMENT.to_ascii_uppercase()) && child.entry.is_storage()
            {
                attachments.push((name, child.entry));
            }
        }
        // The numbers are eight hex digits: by name is in their order.
        recipients.sort_by(|a, b| a.0.cmp(&b.0));
        attachments.sort_by(|a, b| a.0.cmp(&b.0));
        storage.recipients = recipients.into_iter().map(|(_, e)| e).collect();
        storage.attachments = attachments.into_iter().map(|(_, e)| e).collect();
        storage
    }

    /// The bytes of stream `entry`, charged to the budget; `Ok(None)` when it is damaged.
    fn read(&mut self, entry: &Entry) -> Result<Option<Vec<u8>>, &'static str> {
        let Some(bytes) = self.file.stream(entry).filter(|_| entry.is_stream()) else {
            return Ok(None);
        };
        charge(self.left, bytes.len())?;
        Ok(Some(bytes))
    }

    /// String property `id` of `storage` (UTF-16 or 8-bit, and binary when `binary`), NULs
    /// at its end taken off; `Ok(Err(()))` when its stream is damaged.
    fn text(
        &mut self,
        storage: &Storage,
        id: &str,
        binary: bool,
    ) -> Result<Result<Option<String>, ()>, &'static str> {
        let kinds = [UNICODE, STRING8, BINARY];
        let found = kinds
            .iter()
            .take(if binary { 3 } else { 2 })
            .find_map(|&kind| {
                let entry = storage.properties.get(&format!("{id}{kind}"))?;
                Some((kind, *entry))
            });
        let Some((kind, entry)) = found else {
            return Ok(Ok(None));
        };
        let Some(bytes) = self.read(&entry)? else {
            return Ok(Err(()));
        };
        let text = if kind == UNICODE {
            utf16(&bytes)
        } else {
            utf8_or_latin1(&bytes).into_owned()
        };
        Ok(Ok(Some(text.trim_end_matches('\0').to_owned())))
    }

    /// The first of string properties `ids` that `storage` has (a damaged one passed over).
    fn first_text(&mut self, storage: &Storage, ids: &[&str]) -> Result<String, &'static str> {
        for id in ids {
            if let Ok(Some(text)) = self.text(storage, id, false)?
                && !text.is_empty()
            {
                return Ok(text);
            }
        }
        Ok(String::new())
    }

    /// Pushes the members of the message in storage `id`, named `prefix` + their name, the
    /// message nested `depth` deep.
    fn message(&mut self, id: u32, prefix: &str, depth: usize) -> Result<(), &'static str> {
        let storage = self.storage(id);
        let text = match self.render(&storage) {
            Ok(text) => {
                charge(self.left, text.len())?;
                Ok(text.into_bytes())
            }
            Err(why) if why == OVER_BUDGET => return Err(why),
            Err(why) => Err(why),
        };
        self.out.push((format!("{prefix}{MESSAGE}"), text));
        let mut names = Names::default();
        names.taken(MESSAGE.to_owned());
        for (n, attachment) in storage.attachments.iter().enumerate() {
            self.attachment(attachment.id(), n + 1, prefix, &mut names, depth)?;
        }
        Ok(())
    }

    /// The text of the message of `storage`: its headers, a blank line, its body.
    fn render(&mut self, storage: &Storage) -> Result<String, &'static str> {
        let mut text = String::new();
        let get = |reader: &mut Self, id: &str, binary| {
            reader
                .text(storage, id, binary)?
                .map_err(|()| DAMAGED_TEXT)
                .map(Option::unwrap_or_default)
        };
        line(&mut text, "Subject", &get(self, SUBJECT, false)?);
        let name = self.first_text(storage, &SENDER_NAME)?;
        let address = self.first_text(storage, &SENDER_ADDRESS)?;
        line(&mut text, "From", &person(&name, &address));
        line(&mut text, "To", &get(self, DISPLAY_TO, false)?);
        line(&mut text, "Cc", &get(self, DISPLAY_CC, false)?);
        for recipient in &storage.recipients {
            let recipient = self.storage(recipient.id());
            let name = self.first_text(&recipient, &[DISPLAY_NAME])?;
            let address = self.first_text(&recipient, &ADDRESS)?;
            line(&mut text, "Recipient", &person(&name, &address));
        }
        let headers = get(self, HEADERS, false)?;
        if !headers.trim().is_empty() {
            text.push_str(headers.trim_end());
            text.push('\n');
        }
        text.push('\n');
        let plain = get(self, BODY, false)?;
        let html = get(self, HTML, true)?;
        let body = if plain.is_empty() { &html } else { &plain };
        text.push_str(body);
        if !body.is_empty() && !body.ends_with('\n') {
            text.push('\n');
        }
        // What Outlook shows may be the HTML body (when there is a plain one too) or the RTF
        // body (a message written in RTF, some messages' only body): the lines of either
        // that hold a word the body above lacks follow it, so a message whose plain text
        // says less than what is shown is read whole, and one whose bodies agree once.
        let mut shown = body.clone();
        let mut others = Vec::new();
        if !plain.is_empty() && !html.is_empty() {
            others.push(html_text(&html));
        }
        if let Some(rtf) = self.rtf_body(storage)? {
            others.push(rtf);
        }
        for other in others {
            let more = lines_with_new_words(&shown, &other);
            if !more.is_empty() && !shown.is_empty() {
                text.push('\n');
            }
            text.push_str(&more);
            shown.push_str(&more);
        }
        Ok(text)
    }

    /// The text of the compressed RTF body of `storage`, if it has one.
    ///
    /// # Errors
    ///
    /// [`DAMAGED_TEXT`] when the stream or its compression is damaged, or what it holds is
    /// no RTF; [`OVER_BUDGET`].
    fn rtf_body(&mut self, storage: &Storage) -> Result<Option<String>, &'static str> {
        let Some(entry) = storage.properties.get(RTF_COMPRESSED) else {
            return Ok(None);
        };
        let stream = self.read(entry)?.ok_or(DAMAGED_TEXT)?;
        let rtf = match super::rtf::decompress(&stream, self.left) {
            Err(why) if why == OVER_BUDGET => return Err(why),
            Err(_) => return Err(DAMAGED_TEXT),
            Ok(rtf) if !super::rtf::is_rtf(&rtf) => return Err(DAMAGED_TEXT),
            Ok(rtf) => rtf,
        };
        let text = super::rtf::text(&rtf, self.left)?;
        Ok(Some(String::from_utf8_lossy(&text).into_owned()))
    }

    /// Pushes the member (or members) of attachment `n` (from 1), in storage `id`.
    fn attachment(
        &mut self,
        id: u32,
        n: usize,
        prefix: &str,
        names: &mut Names,
        depth: usize,
    ) -> Result<(), &'static str> {
        let storage = self.storage(id);
        let name = self.first_text(&storage, &FILE_NAME)?;
        let name = names.unique(sanitize(&name).unwrap_or_else(|| format!("attachment-{n}")));
        let name = format!("{prefix}{name}");
        let bytes = if let Some(data) = storage.properties.get(DATA) {
            self.read(data)?.ok_or(DAMAGED_ATTACHMENT)
        } else if let Some(embedded) = storage.properties.get(EMBEDDED) {
            let inner = self.file.child(embedded.id(), PROPERTIES);
            if !embedded.is_storage() || inner.is_none() {
                Err(OLE_OBJECT)
            } else if depth >= MAX_NESTING {
                Err(TOO_DEEP)
            } else {
                return self.message(embedded.id(), &format!("{name}!"), depth + 1);
            }
        } else if self.by_reference(&storage)? {
            return Ok(());
        } else {
            Err(NO_DATA)
        };
        self.out.push((name, bytes));
        Ok(())
    }

    /// Whether the attachment of `storage` is by reference (its method, in its fixed-size
    /// properties: 16 bytes each after an 8-byte header, the tag first and the value at 8).
    fn by_reference(&mut self, storage: &Storage) -> Result<bool, &'static str> {
        let Some(fixed) = storage.fixed else {
            return Ok(false);
        };
        let Some(bytes) = self.read(&fixed)? else {
            return Ok(false);
        };
        let method = bytes
            .get(8..)
            .unwrap_or_default()
            .chunks_exact(16)
            .find_map(|p| {
                let word = |at: usize| u32::from_le_bytes([p[at], p[at + 1], p[at + 2], p[at + 3]]);
                (word(0) == ATTACH_METHOD).then(|| word(8))
            });
        Ok(method.is_some_and(|m| BY_REFERENCE.contains(&m)))
    }
}

/// The member names of one message taken so far, and the next suffix to try for each.
#[derive(Default)]
struct Names {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Names {
    fn taken(&mut self, name: String) {
        self.taken.insert(name);
    }

    /// `name`, or when it is taken, it with `-2`, `-3`, … before its extension (an
    /// extension of up to 16 bytes), within [`MAX_NAME`] bytes.
    fn unique(&mut self, name: String) -> String {
        if self.taken.insert(name.clone()) {
            return name;
        }
        let (stem, extension) = match name.rfind('.') {
            Some(at) if at > 0 && name.len() - at <= 16 => name.split_at(at),
            _ => (name.as_str(), ""),
        };
        let mut k = self.next.get(&name).copied().unwrap_or(2);
        loop {
            let suffix = format!("-{k}{extension}");
            let stem = cut(stem, MAX_NAME - suffix.len());
            let candidate = format!("{stem}{suffix}");
            k += 1;
            if self.taken.insert(candidate.clone()) {
                self.next.insert(name, k);
                return candidate;
            }
        }
    }
}

/// `Label: value` and a line end, when there is a value.
fn line(text: &mut String, label: &str, value: &str) {
    if !value.is_empty() {
        text.push_str(label);
        text.push_str(": ");
        text.push_str(value);
        text.push('\n');
    }
}

/// `Name <address>`, or whichever of them there is.
fn person(name: &str, address: &str) -> String {
    match (name.is_empty(), address.is_empty()) {
        (_, true) => name.to_owned(),
        (true, false) => format!("<{address}>"),
        (false, false) => format!("{name} <{address}>"),
    }
}

/// A member name from an attachment's: `!`, `/`, `\` and control characters made `_`,
/// spaces around taken off, cut to [`MAX_NAME`] bytes; `None` when nothing is left.
fn sanitize(name: &str) -> Option<String> {
    let clean: String = name
        .chars()
        .map(|c| {
            if matches!(c, '!' | '/' | '\\') || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = cut(clean.trim(), MAX_NAME).trim();
    (!clean.is_empty()).then(|| clean.to_owned())
}

/// The longest start of `s` of at most `len` bytes that ends at a character.
fn cut(s: &str, len: usize) -> &str {
    let mut end = len.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// UTF-16LE `bytes` as text (an unpaired surrogate as U+FFFD, an odd last byte left out).
fn utf16(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// The lines of `other` that hold a word (a run between white space) `shown` lacks, each
/// ended by a line end.
fn lines_with_new_words(shown: &str, other: &str) -> String {
    let words: HashSet<&str> = shown.split_whitespace().collect();
    let mut out = String::new();
    for line in other.lines() {
        if line.split_whitespace().any(|w| !words.contains(w)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The text of an HTML body, for comparing it with the plain one: tags gone (inline ones,
/// [`markup::is_inline`](super::markup::is_inline), and links joining their neighbours, the
/// rest ending a line), `<style>`, `<script>` and comments stepped over; character
/// references are left for detection to read. One pass.
fn html_text(html: &str) -> String {
    // ASCII lower case keeps every offset, and every offset found in it is a `<` or after
    // an ASCII `>`: a character boundary of `html`.
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len() / 2);
    let mut at = 0;
    while let Some(k) = lower[at..].find('<') {
        // Each search counts the bytes it reads.
        crate::work::add(k + 1);
        let open = at + k;
        out.push_str(&html[at..open]);
        let tag = &lower[open..];
        let through = |end: &str| {
            let to = tag.find(end).map_or(lower.len(), |k| open + k + end.len());
            crate::work::add(to - open);
            to
        };
        at = if tag.starts_with("<!--") {
            through("-->")
        } else if tag.starts_with("<style") {
            through("</style>")
        } else if tag.starts_with("<script") {
            through("</script>")
        } else {
            let end = through(">");
            let after = tag[1..].trim_start_matches('/');
            let len = after
                .find(|c: char| !c.is_ascii_alphanumeric() && c != ':' && c != '-')
                .unwrap_or(after.len());
            // The slashes, the name and the byte that ended it.
            crate::work::add(tag.len() - 1 - after.len() + len + 1);
            let name = &after[..len];
            // The tags themselves are dropped, attributes and all: a link joins its text
            // as the inline elements do.
            if name != "a" && !super::markup::is_inline(name.as_bytes()) {
                out.push('\n');
            }
            end
        };
    }
    crate::work::add(html.len().saturating_sub(at));
    out.push_str(&html[at.min(html.len())..]);
    out
}

#[cfg(test)]
mod tests;
