//! Where the signature sits in a git object, and what it signs.
//!
//! A commit carries its signature in a `gpgsig` (or `gpgsig-sha256`) header whose
//! continuation lines start with a space; the signed payload is the object without those
//! headers (git strips both). A tag carries it appended to its message: the payload is the
//! object up to the last line that opens a signature.

/// What kind of signature an object carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Armor {
    /// `-----BEGIN SSH SIGNATURE-----`.
    Ssh,
    /// `-----BEGIN PGP SIGNATURE-----` (or `PGP MESSAGE`).
    Pgp,
    /// `-----BEGIN SIGNED MESSAGE-----` (gpgsm).
    X509,
}

/// The armor a signature (or a line) starts with.
pub fn armor(text: &[u8]) -> Option<Armor> {
    if text.starts_with(b"-----BEGIN SSH SIGNATURE-----") {
        Some(Armor::Ssh)
    } else if text.starts_with(b"-----BEGIN PGP SIGNATURE-----")
        || text.starts_with(b"-----BEGIN PGP MESSAGE-----")
    {
        Some(Armor::Pgp)
    } else if text.starts_with(b"-----BEGIN SIGNED MESSAGE-----") {
        Some(Armor::X509)
    } else {
        None
    }
}

/// A signed object split into what was signed and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The bytes the signature covers.
    pub payload: Vec<u8>,
    /// The armored signature, `None` when the object is unsigned.
    pub signature: Option<Vec<u8>>,
}

/// Splits a raw commit object. The header ends at the first empty line; `gpgsig` and
/// `gpgsig-sha256` headers (with their continuation lines) are taken out of the payload, and
/// the first `gpgsig` becomes the signature (the SHA-1 repository's).
pub fn split_commit(raw: &[u8]) -> Signed {
    let mut payload = Vec::with_capacity(raw.len());
    let mut signature: Option<Vec<u8>> = None;
    let mut in_sig = false;
    let mut taking = false;
    let mut pos = 0;
    while pos < raw.len() {
        let end = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
        let line = &raw[pos..end];
        if line == b"\n" {
            payload.extend_from_slice(&raw[pos..]);
            break;
        }
        if in_sig && line.first() == Some(&b' ') {
            if taking && let Some(sig) = signature.as_mut() {
                sig.extend_from_slice(&line[1..]);
            }
        } else if let Some(rest) = line.strip_prefix(b"gpgsig ") {
            in_sig = true;
            taking = signature.is_none();
            if taking {
                signature = Some(rest.to_vec());
            }
        } else if line.starts_with(b"gpgsig-sha256 ") {
            in_sig = true;
            taking = false;
        } else {
            in_sig = false;
            payload.extend_from_slice(line);
        }
        pos = end;
    }
    Signed { payload, signature }
}

/// Splits a raw tag object: the signature starts at the last line that opens one.
pub fn split_tag(raw: &[u8]) -> Signed {
    let mut start = None;
    let mut pos = 0;
    while pos < raw.len() {
        if armor(&raw[pos..]).is_some() {
            start = Some(pos);
        }
        pos = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
    }
    match start {
        Some(s) => Signed {
            payload: raw[..s].to_vec(),
            signature: Some(raw[s..].to_vec()),
        },
        None => Signed {
            payload: raw.to_vec(),
            signature: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_signature_headers_leave_the_payload() {
        let raw = b"tree 1\nparent 2\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\ngpgsig -----BEGIN SSH SIGNATURE-----\n line1\n \n -----END SSH SIGNATURE-----\ngpgsig-sha256 -----BEGIN PGP SIGNATURE-----\n other\nmergetag object 3\n type commit\n\nmessage\n gpgsig in body\n";
        let s = split_commit(raw);
        assert_eq!(
            s.payload,
            b"tree 1\nparent 2\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\nmergetag object 3\n type commit\n\nmessage\n gpgsig in body\n"
        );
        assert_eq!(
            s.signature.unwrap(),
            b"-----BEGIN SSH SIGNATURE-----\nline1\n\n-----END SSH SIGNATURE-----\n"
        );
        assert_eq!(split_commit(b"tree 1\n\nmsg\n").signature, None);
    }

    #[test]
    fn tag_signature_is_the_last_armored_block() {
        let raw = b"object 1\ntype commit\ntag v1\ntagger A <a@x> 1 +0000\n\nnotes\n-----BEGIN PGP SIGNATURE-----\nquoted\n-----END PGP SIGNATURE-----\n-----BEGIN SSH SIGNATURE-----\nsig\n-----END SSH SIGNATURE-----\n";
        let s = split_tag(raw);
        assert!(s.payload.ends_with(b"-----END PGP SIGNATURE-----\n"));
        assert!(s.signature.unwrap().starts_with(b"-----BEGIN SSH"));
        assert_eq!(split_tag(b"object 1\n\nplain\n").signature, None);
    }
}
