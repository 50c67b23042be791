use super::{Missing, Pointer, content, pointer};
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn pointer_text(content: &[u8]) -> String {
    format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
        hex(content),
        content.len()
    )
}

#[test]
fn pointers_are_read_by_git_lfs_rules() {
    let p = pointer_text(b"abc");
    assert_eq!(
        pointer(p.as_bytes()),
        Some(Pointer {
            oid: hex(b"abc"),
            size: 3
        })
    );
    // CRLF line ends and an extension line.
    let crlf = p.replace('\n', "\r\n");
    assert_eq!(pointer(crlf.as_bytes()).map(|p| p.size), Some(3));
    let ext = p.replace(
        "oid",
        "ext-0-foo sha256:0000000000000000000000000000000000000000000000000000000000000000\noid",
    );
    assert_eq!(pointer(ext.as_bytes()).map(|p| p.size), Some(3));
    let old = p.replace("git-lfs.github.com", "hawser.github.com");
    assert!(pointer(old.as_bytes()).is_some());
    for not in [
        String::new(),
        "version https://git-lfs.github.com/spec/v1\n".to_owned(),
        p.replace("size 3", "size x"),
        p.replace("size 3\n", ""),
        p.replace("sha256:", "sha1:"),
        p.replace(&hex(b"abc")[..4], "ABCD"),
        p.replace(&hex(b"abc"), &hex(b"abc")[..63]),
        p.replace("version https://git-lfs.github.com/spec/v1", "version 1"),
        format!("{p}{}", "x".repeat(1024)),
    ] {
        assert_eq!(pointer(not.as_bytes()), None, "{not}");
    }
}

#[test]
fn content_is_read_from_the_store_and_checked_against_the_pointer() {
    let store = tempfile::tempdir().unwrap();
    let data = b"name,ssn\nMaria Ortega,536-90-4399\n";
    let p = pointer(pointer_text(data).as_bytes()).unwrap();
    assert_eq!(content(store.path(), &p, 1 << 20), Err(Missing::NotHere));
    let dir = store
        .path()
        .join("objects")
        .join(&p.oid[..2])
        .join(&p.oid[2..4]);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(&p.oid), data).unwrap();
    assert_eq!(content(store.path(), &p, 1 << 20).unwrap(), data);
    assert_eq!(
        content(store.path(), &p, 10),
        Err(Missing::TooLarge(data.len() as u64))
    );
    // An object that is not what its pointer says: other bytes, or more of them.
    let mismatch = Missing::Unscannable("a Git LFS object that does not match its pointer");
    let mut other = data.to_vec();
    other[12] ^= 1;
    std::fs::write(dir.join(&p.oid), &other).unwrap();
    assert_eq!(content(store.path(), &p, 1 << 20), Err(mismatch.clone()));
    std::fs::write(dir.join(&p.oid), [&data[..], b"more"].concat()).unwrap();
    assert_eq!(content(store.path(), &p, 1 << 20), Err(mismatch));
}
