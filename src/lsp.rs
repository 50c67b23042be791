//! `phiguard lsp`: a language server on stdio that publishes phiguard's findings as
//! diagnostics while a buffer is edited (DESIGN §1, §4).
//!
//! Each open buffer is scanned whole, as `phiguard scan --stdin-filename PATH -` scans it,
//! PATH relative to the workspace root (test paths, excludes and config apply as on the
//! command line): on open and on save at once, on change once the edits pause for
//! [`Options::debounce`] (only the latest text is scanned). A diagnostic holds the rule and its
//! message, never the value; its range is in UTF-16 code units (LSP's default), over every
//! line of a value that spans several. Saving `.phiguard.toml` (or the client reporting it
//! changed) reloads the configuration and rescans every open buffer. A code action inserts a
//! `phiguard:allow` comment line above a finding, with the file type's comment leader.
//!
//! What scanning means is the caller's: a [`Scanner`], built by a loader for a workspace root
//! and rebuilt when its configuration changes. A panic while handling one message is caught,
//! logged on stderr without its payload (which could hold a scanned value), and the server
//! keeps serving; a buffer whose scan failed gets one diagnostic saying it was not checked.

use crate::error::{Error, Result};
use crate::model::Finding;
use crate::rules::Severity;
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Scans one buffer.
pub trait Scanner {
    /// What a failed scan says (shown to the user: it must not hold a scanned value).
    type Error: Display;

    /// The findings that count in `text`, scanned as the file `path` (relative to the
    /// workspace root when the file is under it).
    ///
    /// # Errors
    ///
    /// When the buffer cannot be scanned; the buffer then gets a diagnostic saying so.
    fn scan(&self, path: &str, text: Vec<u8>) -> std::result::Result<Vec<Finding>, Self::Error>;
}

/// How the server behaves.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// How long edits must pause before the buffer is scanned again.
    pub debounce: Duration,
    /// Where the server says what went wrong (the binary: stderr, the editor's log). It is
    /// given what happened, never content.
    pub log: fn(&str),
}

impl Default for Options {
    fn default() -> Options {
        Options {
            debounce: Duration::from_millis(300),
            log: |_| {},
        }
    }
}

/// The configuration file whose change reloads the scanner.
pub const CONFIG_FILE: &str = ".phiguard.toml";

/// The placeholder reason of the "allow this finding" code action, for the user to replace.
pub const PLACEHOLDER_REASON: &str = "TODO say why this value is not real data";

/// One open buffer.
struct Doc {
    uri: lsp::Uri,
    text: String,
    version: i32,
    language: String,
    /// When the buffer is to be scanned (after an edit pause).
    due: Option<Instant>,
}

/// The server's state.
struct Server<'c, S, L> {
    conn: &'c Connection,
    load: L,
    scanner: std::result::Result<S, String>,
    root: Option<PathBuf>,
    docs: HashMap<String, Doc>,
    options: Options,
    shutdown: bool,
    next_request: i32,
}

/// Serves one client on stdin/stdout until it says `exit` or closes the stream. `load` builds
/// the scanner for the workspace root (the client's first workspace folder or root URI), and
/// again each time the configuration changes.
///
/// # Errors
///
/// When the client does not start with `initialize`, or stdin/stdout fail.
pub fn serve_stdio<S, L, E>(load: L, options: Options) -> Result<()>
where
    S: Scanner,
    L: FnMut(Option<&Path>) -> std::result::Result<S, E>,
    E: Display,
{
    let (conn, io) = Connection::stdio();
    serve(&conn, load, options)?;
    drop(conn);
    io.join().map_err(|e| {
        Error::io(
            "<lsp stdio>",
            std::io::Error::new(e.kind(), "stream failed"),
        )
    })
}

/// [`serve_stdio`] over any connection (tests use [`Connection::memory`]).
///
/// # Errors
///
/// When the client does not start with `initialize`, or the connection fails.
pub fn serve<S, L, E>(conn: &Connection, mut load: L, options: Options) -> Result<()>
where
    S: Scanner,
    L: FnMut(Option<&Path>) -> std::result::Result<S, E>,
    E: Display,
{
    // lsp-server's own errors quote the unexpected message, which can hold a buffer.
    let (id, params) = conn
        .initialize_start()
        .map_err(|_| protocol("the client did not start with `initialize`"))?;
    let root = workspace_root(&params);
    conn.initialize_finish(id, initialize_result())
        .map_err(|_| protocol("the client did not confirm `initialized`"))?;
    let scanner = load(root.as_deref()).map_err(|e| clean(&format!("{e:#}")));
    let mut server = Server {
        conn,
        load,
        scanner,
        root,
        docs: HashMap::new(),
        options,
        shutdown: false,
        next_request: 0,
    };
    server.watch_config(&params);
    server.run();
    Ok(())
}

fn protocol(what: &str) -> Error {
    Error::io(
        "<lsp stdio>",
        std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned()),
    )
}

/// Text for the user: values masked, control characters escaped.
fn clean(text: &str) -> String {
    crate::scan::error_text(text)
}

/// What the server can do: whole-text sync with the text on save, code actions.
fn initialize_result() -> Value {
    json!({
        "capabilities": {
            "positionEncoding": "utf-16",
            "textDocumentSync": {
                "openClose": true,
                "change": 1,
                "save": { "includeText": true }
            },
            "codeActionProvider": { "codeActionKinds": ["quickfix"] }
        },
        "serverInfo": { "name": "phiguard", "version": env!("CARGO_PKG_VERSION") }
    })
}

/// The client's first workspace folder, else its root URI, else its root path.
#[allow(deprecated)] // root_uri and root_path: older clients send only these.
fn workspace_root(params: &Value) -> Option<PathBuf> {
    let params: lsp::InitializeParams = serde_json::from_value(params.clone()).ok()?;
    let folder = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .and_then(|f| uri_path(&f.uri));
    folder
        .or_else(|| params.root_uri.as_ref().and_then(uri_path))
        .or_else(|| params.root_path.map(PathBuf::from))
}

/// The local path of a `file:` URI, percent-decoded.
pub fn uri_path(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let mut bytes = Vec::with_capacity(rest.len());
    let mut it = rest.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex = [it.next()?, it.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            bytes.push(b);
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        let text = String::from_utf8(bytes).ok()?;
        Some(PathBuf::from(text.trim_start_matches('/')))
    }
}

impl<S, L, E> Server<'_, S, L>
where
    S: Scanner,
    L: FnMut(Option<&Path>) -> std::result::Result<S, E>,
    E: Display,
{
    /// Handles messages, scanning buffers whose edit pause is over, until `exit`.
    fn run(&mut self) {
        loop {
            let next = self.docs.values().filter_map(|d| d.due).min();
            let msg = match next {
                Some(due) => {
                    let wait = due.saturating_duration_since(Instant::now());
                    match self.conn.receiver.recv_timeout(wait) {
                        Ok(msg) => Some(msg),
                        Err(e) if e.is_timeout() => None,
                        Err(_) => return,
                    }
                }
                None => match self.conn.receiver.recv() {
                    Ok(msg) => Some(msg),
                    Err(_) => return,
                },
            };
            match msg {
                Some(Message::Notification(n)) if n.method == "exit" => return,
                Some(msg) => self.guarded(msg),
                None => self.scan_due(),
            }
        }
    }

    /// Handles one message; a panic is logged (location only) and answered, not fatal.
    fn guarded(&mut self, msg: Message) {
        let request = match &msg {
            Message::Request(r) => Some((r.id.clone(), r.method.clone())),
            _ => None,
        };
        let method = match &msg {
            Message::Request(r) => r.method.clone(),
            Message::Notification(n) => n.method.clone(),
            Message::Response(_) => String::from("a response"),
        };
        if catch_unwind(AssertUnwindSafe(|| self.handle(msg))).is_err() {
            (self.options.log)(&format!(
                "handling {} failed; still serving",
                clean(&method)
            ));
            if let Some((id, _)) = request {
                self.reply_err(id, "phiguard: internal error (logged)");
            }
        }
    }

    fn handle(&mut self, msg: Message) {
        match msg {
            Message::Request(r) => self.request(r),
            Message::Notification(n) => self.notification(n),
            Message::Response(_) => {}
        }
    }

    fn request(&mut self, r: Request) {
        if self.shutdown {
            return self.reply_err(r.id, "the server is shutting down");
        }
        match r.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                self.send(Response::new_ok(r.id, ()).into());
            }
            "textDocument/codeAction" => match serde_json::from_value(r.params) {
                Ok(params) => {
                    let actions = self.code_actions(&params);
                    self.send(Response::new_ok(r.id, actions).into());
                }
                Err(_) => self.reply_err(r.id, "malformed codeAction parameters"),
            },
            _ => self.send(
                Response::new_err(
                    r.id,
                    lsp_server::ErrorCode::MethodNotFound as i32,
                    String::from("not supported by phiguard"),
                )
                .into(),
            ),
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) {
                    self.open(p.text_document);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value(n.params) {
                    self.change(p);
                }
            }
            "textDocument/didSave" => {
                if let Ok(p) = serde_json::from_value(n.params) {
                    self.save(p);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) {
                    self.docs.remove(p.text_document.uri.as_str());
                    self.publish(&p.text_document.uri, None, Vec::new());
                }
            }
            "workspace/didChangeWatchedFiles" => {
                if let Ok(p) = serde_json::from_value::<lsp::DidChangeWatchedFilesParams>(n.params)
                    && p.changes.iter().any(|c| is_config(&c.uri))
                {
                    self.reload();
                }
            }
            _ => {}
        }
    }

    fn open(&mut self, d: lsp::TextDocumentItem) {
        let key = d.uri.as_str().to_owned();
        self.docs.insert(
            key.clone(),
            Doc {
                uri: d.uri,
                text: d.text,
                version: d.version,
                language: d.language_id,
                due: None,
            },
        );
        self.scan(&key);
    }

    /// Whole-text sync: the last change holds the buffer; it is scanned after the pause.
    fn change(&mut self, p: lsp::DidChangeTextDocumentParams) {
        let due = Instant::now() + self.options.debounce;
        if let Some(doc) = self.docs.get_mut(p.text_document.uri.as_str()) {
            if let Some(last) = p
                .content_changes
                .into_iter()
                .rev()
                .find(|c| c.range.is_none())
            {
                doc.text = last.text;
            }
            doc.version = p.text_document.version;
            doc.due = Some(due);
        }
    }

    fn save(&mut self, p: lsp::DidSaveTextDocumentParams) {
        let key = p.text_document.uri.as_str().to_owned();
        if let (Some(doc), Some(text)) = (self.docs.get_mut(&key), p.text) {
            doc.text = text;
        }
        if is_config(&p.text_document.uri) {
            self.reload();
        } else {
            self.scan(&key);
        }
    }

    /// Builds the scanner again (the configuration changed) and rescans every buffer.
    fn reload(&mut self) {
        self.scanner = (self.load)(self.root.as_deref()).map_err(|e| clean(&format!("{e:#}")));
        let keys: Vec<String> = self.docs.keys().cloned().collect();
        for key in keys {
            self.scan(&key);
        }
    }

    fn scan_due(&mut self) {
        let now = Instant::now();
        let due: Vec<String> = self
            .docs
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for key in due {
            self.scan(&key);
        }
    }

    /// Scans one buffer and publishes its diagnostics; a panic leaves the buffer marked as
    /// not checked.
    fn scan(&mut self, key: &str) {
        if catch_unwind(AssertUnwindSafe(|| self.scan_unguarded(key))).is_err() {
            (self.options.log)("scanning a buffer failed; still serving");
            self.not_checked(key, "internal error (logged)");
        }
    }

    fn scan_unguarded(&mut self, key: &str) {
        let Some(doc) = self.docs.get_mut(key) else {
            return;
        };
        doc.due = None;
        let (uri, version, text) = (doc.uri.clone(), doc.version, doc.text.clone());
        let scanner = match &self.scanner {
            Ok(s) => s,
            Err(e) => {
                let message = format!("configuration error: {e}");
                return self.not_checked(key, &message);
            }
        };
        let path = self.display_path(&uri);
        match scanner.scan(&path, text.into_bytes()) {
            Ok(findings) => {
                let diagnostics = findings.iter().map(diagnostic).collect();
                self.publish(&uri, Some(version), diagnostics);
            }
            Err(e) => self.not_checked(key, &clean(&format!("{e:#}"))),
        }
    }

    /// The path a buffer is scanned as: relative to the workspace root when under it.
    fn display_path(&self, uri: &lsp::Uri) -> String {
        let Some(path) = uri_path(uri) else {
            return clean(uri.as_str());
        };
        let rel = self
            .root
            .as_deref()
            .and_then(|root| path.strip_prefix(root).ok())
            .unwrap_or(&path);
        rel.to_string_lossy().into_owned()
    }

    /// One error diagnostic on the first line: the buffer was not checked (fail closed).
    fn not_checked(&self, key: &str, why: &str) {
        let Some(doc) = self.docs.get(key) else {
            return;
        };
        let diagnostic = lsp::Diagnostic {
            range: lsp::Range::default(),
            severity: Some(lsp::DiagnosticSeverity::ERROR),
            source: Some(String::from("phiguard")),
            message: format!("phiguard could not check this buffer: {why}"),
            ..lsp::Diagnostic::default()
        };
        self.publish(&doc.uri, Some(doc.version), vec![diagnostic]);
    }

    fn publish(&self, uri: &lsp::Uri, version: Option<i32>, diagnostics: Vec<lsp::Diagnostic>) {
        let params = lsp::PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics,
            version,
        };
        self.send(Notification::new("textDocument/publishDiagnostics".into(), params).into());
    }

    fn code_actions(&self, p: &lsp::CodeActionParams) -> Vec<lsp::CodeAction> {
        let Some(doc) = self.docs.get(p.text_document.uri.as_str()) else {
            return Vec::new();
        };
        let Some(comment) = comment_for(&doc.language, &self.display_path(&doc.uri)) else {
            return Vec::new();
        };
        p.context
            .diagnostics
            .iter()
            .filter(|d| d.source.as_deref() == Some("phiguard") && d.code.is_some())
            .map(|d| allow_action(doc, d, comment))
            .collect()
    }

    /// Asks the client to tell about `.phiguard.toml` changes, when it can register watchers.
    fn watch_config(&mut self, params: &Value) {
        let dynamic = params
            .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !dynamic {
            return;
        }
        self.next_request += 1;
        let registration = json!({ "registrations": [{
            "id": "phiguard-config",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": { "watchers": [{ "globPattern": format!("**/{CONFIG_FILE}") }] }
        }]});
        let id = RequestId::from(format!("phiguard-{}", self.next_request));
        self.send(Request::new(id, "client/registerCapability".into(), registration).into());
    }

    fn reply_err(&self, id: RequestId, message: &str) {
        let code = lsp_server::ErrorCode::InternalError as i32;
        self.send(Response::new_err(id, code, message.to_owned()).into());
    }

    fn send(&self, msg: Message) {
        // The client has gone: the next receive ends the loop.
        let _ = self.conn.sender.send(msg);
    }
}

/// A finding as a diagnostic: `[rule] message`, no value; UTF-16 range over the whole value.
fn diagnostic(f: &Finding) -> lsp::Diagnostic {
    let at = |line: u32, column: u32| lsp::Position {
        line: line.saturating_sub(1),
        character: column.saturating_sub(1),
    };
    lsp::Diagnostic {
        range: lsp::Range {
            start: at(f.line, f.utf16_columns.0),
            end: at(f.utf16_end.0, f.utf16_end.1),
        },
        severity: Some(match f.severity {
            Severity::Block => lsp::DiagnosticSeverity::ERROR,
            Severity::Warn => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(f.rule.to_string())),
        source: Some(String::from("phiguard")),
        message: format!("[{}] {}", f.rule, clean(&f.message)),
        ..lsp::Diagnostic::default()
    }
}

/// Whether a URI names the configuration file.
fn is_config(uri: &lsp::Uri) -> bool {
    uri_path(uri).is_some_and(|p| p.file_name().is_some_and(|n| n == CONFIG_FILE))
}

/// A comment's opening and closing.
type Comment = (&'static str, &'static str);

/// The comment syntax of a buffer, by the client's language id, else by the file's extension
/// or name; `None` for formats without comments (JSON). Unknown types get `#`, which
/// [`crate::policy::suppress`] accepts as a leader in any file.
pub fn comment_for(language: &str, path: &str) -> Option<Comment> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map_or(name, |(_, e)| e);
    let by = |key: &str| -> Option<Option<Comment>> {
        Some(Some(match key.to_ascii_lowercase().as_str() {
            "json" => return Some(None),
            "rust" | "rs" | "c" | "h" | "cpp" | "cc" | "hpp" | "cxx" | "objective-c" | "java"
            | "javascript" | "js" | "mjs" | "cjs" | "javascriptreact" | "jsx" | "typescript"
            | "ts" | "typescriptreact" | "tsx" | "go" | "csharp" | "cs" | "swift" | "kotlin"
            | "kt" | "kts" | "scala" | "php" | "dart" | "groovy" | "gradle" | "proto" | "zig"
            | "jsonc" | "fsharp" | "fs" => ("// ", ""),
            "sql" | "lua" | "haskell" | "hs" | "elm" | "ada" | "adb" => ("-- ", ""),
            "html" | "htm" | "xml" | "xhtml" | "svg" | "markdown" | "md" | "vue" | "svelte" => {
                ("<!-- ", " -->")
            }
            "css" | "scss" | "less" => ("/* ", " */"),
            "tex" | "latex" | "erlang" | "erl" | "matlab" => ("% ", ""),
            "lisp" | "el" | "clojure" | "clj" | "cljs" | "scheme" | "scm" | "ini" | "asm" => {
                ("; ", "")
            }
            "vb" | "vbs" | "bas" => ("' ", ""),
            "bat" | "cmd" => ("REM ", ""),
            "python" | "py" | "ruby" | "rb" | "shellscript" | "sh" | "bash" | "zsh" | "perl"
            | "pl" | "r" | "yaml" | "yml" | "toml" | "dockerfile" | "makefile" | "cmake"
            | "elixir" | "ex" | "exs" | "nix" | "powershell" | "ps1" | "terraform" | "tf"
            | "properties" | "conf" | "cfg" | "env" => ("# ", ""),
            _ => return None,
        }))
    };
    by(language).or_else(|| by(ext)).unwrap_or(Some(("# ", "")))
}

/// "phiguard: allow this finding": a comment line with the marker above the finding's line,
/// indented like it, with a placeholder reason to replace.
fn allow_action(doc: &Doc, d: &lsp::Diagnostic, (open, close): Comment) -> lsp::CodeAction {
    let line = d.range.start.line;
    let text = doc.text.split('\n').nth(line as usize).unwrap_or("");
    let indent: String = text
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let eol = if text.ends_with('\r') { "\r\n" } else { "\n" };
    let marker = crate::policy::suppress::MARKER;
    let insert = format!("{indent}{open}{marker} {PLACEHOLDER_REASON}{close}{eol}");
    let at = lsp::Position { line, character: 0 };
    let edit = lsp::TextEdit {
        range: lsp::Range { start: at, end: at },
        new_text: insert,
    };
    // lsp-types keys `WorkspaceEdit::changes` by `Uri`, whose inner cell caches a parse and
    // never changes its hash.
    #[allow(clippy::mutable_key_type)]
    let changes = HashMap::from([(doc.uri.clone(), vec![edit])]);
    lsp::CodeAction {
        title: String::from("phiguard: allow this finding"),
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![d.clone()]),
        edit: Some(lsp::WorkspaceEdit {
            changes: Some(changes),
            ..lsp::WorkspaceEdit::default()
        }),
        ..lsp::CodeAction::default()
    }
}

#[cfg(test)]
mod tests;
