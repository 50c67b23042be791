//! `scan --stdin-filename NAME -`: an editor's unsaved buffer, every line added.

use super::Item;
use crate::error::{Error, Result};
use std::io::Read;

/// Reads all of `input` as the content of `name`.
///
/// # Errors
///
/// When reading fails.
pub fn read(name: &str, mut input: impl Read) -> Result<Item> {
    let mut text = Vec::new();
    input
        .read_to_end(&mut text)
        .map_err(|e| Error::io("<stdin>", e))?;
    Ok(Item::whole(name, text))
}
