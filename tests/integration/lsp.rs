//! `phiguard lsp`: the language server driven over JSON-RPC on its stdio, as an editor drives
//! it, and by a real client (headless Neovim's `vim.lsp`).

use crate::common::{SSN, TempRepo, assert_no_value, bin};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A text before the value that is wider in UTF-8 than in UTF-16 (é: 2 bytes, 1 unit) and
/// holds a character outside the BMP (😀: 4 bytes, 2 units).
const PREFIX: &str = "patient note é😀 ssn: ";

/// What every message is checked against: the value, in every form.
const VALUES: &[&str] = &[SSN, "536904399", "4399"];

/// A running `phiguard lsp` with its messages read on a thread.
struct Lsp {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Every message the server sent, for the never-echo check.
    seen: Vec<Value>,
    next_id: i64,
}

impl Lsp {
    /// Starts the server in `repo` and initializes it with `repo` as the workspace folder.
    fn start(repo: &TempRepo, env: &[(&str, &str)]) -> Lsp {
        let mut cmd = Command::new(bin());
        repo.env(&mut cmd);
        cmd.arg("lsp")
            .current_dir(repo.path())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut r) {
                if tx.send(msg).is_err() {
                    return;
                }
            }
        });
        let mut lsp = Lsp {
            child,
            stdin,
            messages,
            seen: Vec::new(),
            next_id: 0,
        };
        let root = uri(repo.path());
        let id = lsp.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root,
                "workspaceFolders": [{ "uri": root, "name": "repo" }],
                "capabilities": {}
            }),
        );
        lsp.response(id);
        lsp.notify("initialized", json!({}));
        lsp
    }

    fn send(&mut self, msg: Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next message that `want` accepts, within 20 s (a bound far above the real time,
    /// so that a lost message fails the test instead of hanging it).
    fn expect(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let msg = self
                .messages
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("no {what} from the server; got {:#?}", self.seen));
            self.seen.push(msg.clone());
            if want(&msg) {
                return msg;
            }
        }
    }

    fn response(&mut self, id: i64) -> Value {
        self.expect("response", |m| m["id"] == id && m.get("method").is_none())
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let msg = self.expect("diagnostics", |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        msg["params"].clone()
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) {
        let doc = json!({ "uri": uri, "languageId": language, "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": doc }));
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "text": text }]
            }),
        );
    }

    /// Shuts the server down; returns its stderr after checking that it exited 0 and that
    /// nothing it wrote holds a value.
    fn finish(mut self) -> String {
        let id = self.request("shutdown", Value::Null);
        self.response(id);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        assert!(status.success(), "exit {status:?}: {err}");
        for msg in &self.seen {
            assert_no_value(msg.to_string().as_bytes(), VALUES);
        }
        assert_no_value(err.as_bytes(), VALUES);
        err
    }
}

/// One LSP frame: `Content-Length` headers, a blank line, the JSON body.
fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = 0;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            len = n.parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A `file:` URI (the temporary directories need no escaping).
fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn utf16(s: &str) -> u64 {
    s.encode_utf16().count() as u64
}

/// The diagnostic of a synthetic SSN after a multi-byte prefix starts and ends at its UTF-16
/// columns (not its byte columns), is an error with the rule as code, and no message holds
/// the value.
#[test]
fn lsp_diagnostic_after_multibyte_prefix_has_utf16_range_and_no_value() {
    let repo = TempRepo::new();
    let file = repo.path().join("notes.py");
    let doc = uri(&file);
    let mut lsp = Lsp::start(&repo, &[]);
    lsp.open(&doc, "python", &format!("x = 1\n{PREFIX}{SSN}\n"));
    let params = lsp.diagnostics(&doc);
    let diags = params["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1, "{params:#}");
    let d = &diags[0];
    let start = utf16(PREFIX);
    assert_ne!(start, PREFIX.len() as u64, "the prefix must be multi-byte");
    assert_eq!(
        d["range"],
        json!({
            "start": { "line": 1, "character": start },
            "end": { "line": 1, "character": start + utf16(SSN) }
        })
    );
    assert_eq!(d["severity"], 1, "block is an error");
    assert_eq!(d["code"], "phi.ssn");
    assert_eq!(d["source"], "phiguard");
    assert!(
        d["message"].as_str().unwrap().starts_with("[phi.ssn] "),
        "{d}"
    );
    assert_eq!(params["version"], 1);
    lsp.finish();
}

/// The same buffer through `scan --stdin-filename` gives the same rule, line and severity:
/// the server scans as the command line does.
#[test]
fn lsp_findings_match_scan_stdin_filename() {
    let repo = TempRepo::new();
    let text = format!("{PREFIX}{SSN}\nkey = \"{}\"\n", crate::common::AWS_KEY);
    let r = repo.phiguard_in(
        repo.path(),
        &[
            "--format",
            "json",
            "scan",
            "--stdin-filename",
            "tests/t.txt",
            "-",
        ],
        Some(text.as_bytes()),
    );
    let want: Vec<(String, u64, String)> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let level = f["severity"].as_str().unwrap().to_owned();
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap() - 1,
                level,
            )
        })
        .collect();
    assert_eq!(want.len(), 2, "{}", r.all());
    let doc = uri(&repo.path().join("tests/t.txt"));
    let mut lsp = Lsp::start(&repo, &[]);
    lsp.open(&doc, "plaintext", &text);
    let params = lsp.diagnostics(&doc);
    let got: Vec<(String, u64, String)> = params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let level = match d["severity"].as_u64().unwrap() {
                1 => "block",
                2 => "warn",
                _ => "info",
            };
            let code = d["code"].as_str().unwrap().to_owned();
            (
                code,
                d["range"]["start"]["line"].as_u64().unwrap(),
                level.to_owned(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // A test path: the SSN is downgraded to a warning, the key still blocks.
    assert!(
        got.iter().any(|g| g.0 == "phi.ssn" && g.2 == "warn"),
        "{got:?}"
    );
    lsp.finish();
}

/// A value over several lines (a private key's body) is covered to its last character, on
/// its last line, in UTF-16 units.
#[test]
fn lsp_multiline_value_range_ends_on_its_last_line() {
    let repo = TempRepo::new();
    let body = [
        "J/C3pKldJEDiI/d3OL/zGGXifCn9qtU5KbRu/oNnVmsyW1EXuF0EVo11cLQEYlSE",
        "n0uD9RAc/OvJOvjgGhVDRQrnxy5FwSHRbNnprdHyQmcmieuDkn6zUxZHDsywLmzl",
        "EkTwBKIWzUIVm9s4EUPcH3QCVv6Nau3qRA==",
    ];
    let begin = "é😀 -----BEGIN EC PRIVATE KEY-----";
    let text = format!(
        "{begin}\n{}\n{}\n{}\n-----END EC PRIVATE KEY-----\n",
        body[0], body[1], body[2]
    );
    let doc = uri(&repo.path().join("key.pem"));
    let mut lsp = Lsp::start(&repo, &[]);
    lsp.open(&doc, "plaintext", &text);
    let params = lsp.diagnostics(&doc);
    let d = params["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "secret.private-key")
        .unwrap_or_else(|| panic!("{params:#}"))
        .clone();
    assert_eq!(
        d["range"]["start"],
        json!({ "line": 0, "character": utf16(begin) })
    );
    assert_eq!(
        d["range"]["end"],
        json!({ "line": 3, "character": body[2].len() })
    );
    for line in body {
        assert_no_value(d.to_string().as_bytes(), &[line]);
    }
    lsp.finish();
}

/// Edits in quick succession are scanned once, after the pause, and only the latest text:
/// the versions in between publish nothing.
#[test]
fn lsp_changes_are_debounced_and_scan_the_latest_text() {
    let repo = TempRepo::new();
    let doc = uri(&repo.path().join("a.txt"));
    let mut lsp = Lsp::start(&repo, &[]);
    lsp.open(&doc, "plaintext", "nothing here\n");
    assert_eq!(lsp.diagnostics(&doc)["diagnostics"], json!([]));
    lsp.change(&doc, 2, &format!("ssn: {SSN}\n"));
    lsp.change(&doc, 3, "still nothing\n");
    lsp.change(&doc, 4, &format!("\n\nssn: {SSN}\n"));
    let params = lsp.diagnostics(&doc);
    assert_eq!(params["version"], 4, "only the latest text: {params:#}");
    let diags = params["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0]["range"]["start"]["line"], 2);
    lsp.finish();
}

/// Saving `.phiguard.toml` reloads the configuration and rescans the open buffers; so does
/// the client reporting the file changed.
#[test]
fn lsp_reloads_phiguard_toml_when_it_changes() {
    let repo = TempRepo::new();
    let doc = uri(&repo.path().join("a.txt"));
    let config = repo.path().join(".phiguard.toml");
    let mut lsp = Lsp::start(&repo, &[]);
    lsp.open(&doc, "plaintext", &format!("ssn: {SSN}\n"));
    assert_eq!(
        lsp.diagnostics(&doc)["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    std::fs::write(&config, "[rules]\ndisable = [\"phi.ssn\"]\n").unwrap();
    let cfg = uri(&config);
    lsp.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": cfg } }),
    );
    assert_eq!(lsp.diagnostics(&doc)["diagnostics"], json!([]));
    std::fs::remove_file(&config).unwrap();
    lsp.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": cfg, "type": 3 }] }),
    );
    assert_eq!(
        lsp.diagnostics(&doc)["diagnostics"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    lsp.finish();
}

/// A broken `.phiguard.toml` does not leave buffers looking clean: each gets a diagnostic
/// saying it was not checked (fail closed), naming the configuration problem.
#[test]
fn lsp_bad_config_marks_buffers_unchecked() {
    let repo = TempRepo::new();
    repo.write(".phiguard.toml", "[scan]\nno_such_key = 1\n");
    let doc = uri(&repo.path().join("a.txt"));
    let mut lsp = Lsp::start(&repo, &[]);
    lsp.open(&doc, "plaintext", &format!("ssn: {SSN}\n"));
    let params = lsp.diagnostics(&doc);
    let d = &params["diagnostics"][0];
    assert_eq!(d["severity"], 1);
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("could not check"), "{message}");
    assert!(message.contains("no_such_key"), "{message}");
    lsp.finish();
}

/// The code action inserts a `phiguard:allow` comment line above the finding, with the
/// file type's comment leader and the line's indentation; with it applied the finding is
/// allowed and the buffer's diagnostics clear.
#[test]
fn lsp_code_action_allows_the_finding() {
    let repo = TempRepo::new();
    let file = repo.path().join("src/lib.rs");
    let doc = uri(&file);
    let text = format!("fn f() {{\n    let ssn = \"{SSN}\";\n}}\n");
    let mut lsp = Lsp::start(&repo, &[]);
    lsp.open(&doc, "rust", &text);
    let params = lsp.diagnostics(&doc);
    let d = params["diagnostics"][0].clone();
    let id = lsp.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": doc },
            "range": d["range"],
            "context": { "diagnostics": [d] }
        }),
    );
    let actions = lsp.response(id)["result"].clone();
    assert_eq!(actions[0]["title"], "phiguard: allow this finding");
    let edit = &actions[0]["edit"]["changes"][&doc][0];
    assert_eq!(
        edit["range"],
        json!({ "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 0 } })
    );
    let inserted = edit["newText"].as_str().unwrap();
    assert!(
        inserted.starts_with("    // phiguard:allow "),
        "{inserted:?}"
    );
    let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
    lines.insert(1, inserted);
    lsp.change(&doc, 2, &lines.concat());
    assert_eq!(lsp.diagnostics(&doc)["diagnostics"], json!([]));
    lsp.finish();
}

/// A panic while scanning is logged without its payload (which holds a value), the buffer
/// is marked as not checked, and the server keeps serving the next buffer.
#[test]
fn lsp_panic_in_a_handler_is_logged_and_the_server_keeps_serving() {
    if !cfg!(debug_assertions) {
        return; // PHIGUARD_TEST_PANIC exists in debug builds only.
    }
    let repo = TempRepo::new();
    let first = uri(&repo.path().join("a.txt"));
    let second = uri(&repo.path().join("b.txt"));
    let mut lsp = Lsp::start(&repo, &[("PHIGUARD_TEST_PANIC", "lsp")]);
    lsp.open(&first, "plaintext", &format!("ssn: {SSN}\n"));
    let params = lsp.diagnostics(&first);
    let message = params["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("could not check"), "{message}");
    lsp.open(&second, "plaintext", &format!("ssn: {SSN}\n"));
    assert_eq!(
        lsp.diagnostics(&second)["diagnostics"][0]["code"],
        "phi.ssn"
    );
    let err = lsp.finish();
    assert!(err.contains("internal error at"), "{err}");
}

/// A real client: headless Neovim (Debian's package) opens a file through `vim.lsp`; the
/// diagnostic arrives at the SSN's UTF-16 column after a multi-byte prefix, Neovim places it
/// at the right byte column of the line, and its message holds no value.
#[test]
fn lsp_in_neovim_places_the_diagnostic_after_a_multibyte_prefix() {
    let nvim = Command::new("nvim").arg("--version").output();
    assert!(
        nvim.is_ok_and(|o| o.status.success()),
        "this test needs Neovim: apt-get install -y neovim (.ci/run installs it)"
    );
    let repo = TempRepo::new();
    let file = repo.path().join("notes.md");
    repo.write("notes.md", format!("# Notes\n\n{PREFIX}{SSN}\n"));
    let out = repo.path().join("diagnostics.json");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/integration/nvim_lsp.lua"
    );
    let mut cmd = Command::new("nvim");
    repo.env(&mut cmd);
    cmd.args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {script}"))
        .current_dir(repo.path())
        .env("PHIGUARD_BIN", bin())
        .env("PHIGUARD_NVIM_ROOT", repo.path())
        .env("PHIGUARD_NVIM_FILE", &file)
        .env("PHIGUARD_NVIM_OUT", &out);
    let run = crate::common::run_within(cmd, None, 120).expect("Neovim did not finish");
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|_| panic!("Neovim wrote no result: {}", run.all()));
    assert_no_value(text.as_bytes(), VALUES);
    let got: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(got["ok"], true, "no diagnostics in Neovim: {got:#}");
    let raw = &got["raw"]["diagnostics"][0];
    assert_eq!(
        raw["range"]["start"],
        json!({ "line": 2, "character": utf16(PREFIX) })
    );
    assert_eq!(
        raw["range"]["end"],
        json!({ "line": 2, "character": utf16(PREFIX) + utf16(SSN) })
    );
    let d = &got["diagnostics"][0];
    assert_eq!(d["lnum"], 2);
    assert_eq!(
        d["col"],
        PREFIX.len(),
        "Neovim's byte column after the prefix"
    );
    assert_eq!(d["end_col"], PREFIX.len() + SSN.len());
    assert_eq!(d["severity"], 1, "vim.diagnostic.severity.ERROR");
    assert!(
        d["message"].as_str().unwrap().starts_with("[phi.ssn] "),
        "{d}"
    );
}
