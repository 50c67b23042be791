//! Glob sets shared by configuration (which parses them) and policy (which matches paths
//! against them), so that neither depends on the other.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::sync::{Arc, OnceLock};

/// Compiles parsed globs into one set.
///
/// # Errors
///
/// When the set does not build (a regex grown too large).
pub fn compile(
    globs: impl IntoIterator<Item = Glob>,
) -> std::result::Result<GlobSet, globset::Error> {
    let mut b = GlobSetBuilder::new();
    for glob in globs {
        b.add(glob);
    }
    b.build()
}

/// Globs checked when they are read (the configuration does) and compiled into a set on the
/// first match.
///
/// Compiling the default test-path globs is most of a millisecond, and a clean commit never
/// asks whether a path is a test path (only findings do). A set that parsed but fails to
/// compile matches nothing: a test path then keeps `block` — the safe side.
#[derive(Debug, Clone, Default)]
pub struct LazyGlobSet {
    globs: Arc<[Glob]>,
    set: Arc<OnceLock<GlobSet>>,
}

impl LazyGlobSet {
    /// A set of `globs`, compiled on the first [`LazyGlobSet::is_match`].
    pub fn new(globs: Vec<Glob>) -> LazyGlobSet {
        LazyGlobSet {
            globs: globs.into(),
            set: Arc::default(),
        }
    }

    /// Whether any glob matches `path`.
    pub fn is_match(&self, path: &str) -> bool {
        self.set
            .get_or_init(|| {
                compile(self.globs.iter().cloned()).unwrap_or_else(|_| GlobSet::empty())
            })
            .is_match(path)
    }
}
