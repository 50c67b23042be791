#!/usr/bin/env bash
# Hostile inputs with bounds (issue 25): makes each input, then prints wall time, peak memory
# and exit code for phiguard and for gitleaks on it. Not a test: a measurement to read.
#
#   bench/hostile.sh                      # every input
#   PHIGUARD=path/to/phiguard bench/hostile.sh one_line fifo
#
# phiguard defaults to target/release/phiguard (built if missing); gitleaks to
# target/bench/peers/gitleaks (installed by ../shared/bench/install_peers.sh if missing).
# Each run is cut at LIMIT seconds (default 300; shown as "timeout"). Inputs are made under
# target/bench/hostile and reused.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${PHIGUARD_SHARED:-$ROOT/../shared}"
BENCH="${BENCH_HOME:-$ROOT/target/bench}"
HOST="$BENCH/hostile"
LIMIT="${LIMIT:-300}"
PG="${PHIGUARD:-$ROOT/target/release/phiguard}"
GL="${GITLEAKS:-$BENCH/peers/gitleaks}"
[ -x "$PG" ] || (cd "$ROOT" && cargo build --release --locked --quiet)
[ -x "$GL" ] || (cd "$ROOT" && BENCH_HOME="$BENCH" "$SHARED/bench/install_peers.sh")
mkdir -p "$HOST"
WHICH="${*:-one_line short_lines many_files brackets loose_object binary nul invalid_utf8 crlf cr_only names symlink_loop fifo sqlite_free sheet_markup pdf_streams}"
# Lifts phiguard's file size limit (32 MiB by default) so the large inputs are scanned, not
# skipped; the loose object keeps the default limit.
printf '[scan]\nmax_file_bytes = 1073741824\n' > "$HOST/big.toml"
export GIT_CONFIG_NOSYSTEM=1 HOME="$HOST/home" NO_COLOR=1
mkdir -p "$HOME"
git config --global user.name bench; git config --global user.email bench@example.invalid
git config --global init.defaultBranch main

# measure DIR CMD...: "seconds peakMiB exit" of one run, cut at LIMIT.
measure() {
  local dir="$1"; shift
  local t="$HOST/time.txt"
  (cd "$dir" && timeout -k 5 "$LIMIT" /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$HOST/err.txt" </dev/null)
  local rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then echo "timeout - $rc"; return; fi
  awk -v rc="$rc" 'END { printf "%s %.0f %s\n", $1, $2/1024, rc }' "$t"
}

# A file of SIZE bytes made by repeating TEXT (python: fast and exact).
repeat_to() { python3 -c "import sys; t=sys.argv[1].encode().decode('unicode_escape').encode('latin-1'); n=int(sys.argv[2]); sys.stdout.buffer.write((t*(n//len(t)+1))[:n])" "$1" "$2"; }

make_input() {
  local name="$1" d="$HOST/$1"
  [ -e "$d/.made" ] && return
  rm -rf "$d"; mkdir -p "$d"
  case "$name" in
    one_line) repeat_to 'id 4-7 pt ab12cd34 ' $((100 << 20)) > "$d/one.txt" ;;
    short_lines) repeat_to 'x = 1\n' $((5000000 * 6)) > "$d/lines.txt" ;;
    many_files)
      git -C "$d" init -q
      python3 - "$d" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(50000):
    sub = os.path.join(d, "src", str(i % 100))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i}.txt"), "w") as f:
        f.write(f"value {i} of the change\n")
PY
      git -C "$d" add -A ;;
    brackets) python3 -c "import sys; sys.stdout.write('['*1000000 + ']'*1000000)" > "$d/nested.json" ;;
    loose_object)
      git -C "$d" init -q
      repeat_to '\0' $((1 << 30)) > "$d/zeros.bin.txt"
      git -C "$d" add zeros.bin.txt && git -C "$d" commit -q -m zeros
      rm "$d/zeros.bin.txt" ;;
    binary) head -c $((50 << 20)) /dev/urandom > "$d/random.bin" ;;
    nul) repeat_to 'patient note line\0\n' $((50 << 20)) > "$d/nul.txt" ;;
    invalid_utf8) repeat_to 'caf\xe9 \xff\xfe id \xc3(\n' $((50 << 20)) > "$d/latin.txt" ;;
    crlf) repeat_to 'resourceType: Patient\r\nname:\r\n  - family: Ortega\r\n' $((50 << 20)) > "$d/crlf.yaml" ;;
    cr_only) repeat_to 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||MR1^^^H^MR||Ortega^Rosa\r' $((50 << 20)) > "$d/cr.hl7" ;;
    names)
      for i in $(seq 1 200); do
        printf 'fine %s\n' "$i" > "$d/$(printf 'line\nbreak %s.txt' "$i")"
        printf 'fine %s\n' "$i" > "$d/$(printf '\033[31mred\033[0m %s.txt' "$i")"
      done ;;
    symlink_loop)
      mkdir -p "$d/a"; ln -s .. "$d/a/up"; ln -s loop2 "$d/loop1"; ln -s loop1 "$d/loop2"
      ln -s . "$d/self"; printf 'fine\n' > "$d/a/file.txt" ;;
    fifo) mkfifo "$d/pipe.txt"; printf 'fine\n' > "$d/file.txt" ;;
    sqlite_free)
      # An SQLite database whose 50 MB of free pages are `!`: every offset starts a record
      # header whose serial types are all valid (the carver's worst case).
      python3 - "$d/app.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE patients (id INTEGER PRIMARY KEY, mrn TEXT, name TEXT, ssn TEXT)")
db.commit(); db.close()
with open(sys.argv[1], "ab") as f:
    f.write(b"!" * (50 << 20))
PY
      ;;
    sheet_markup)
      # An .xlsx whose one sheet is 300 MB of markup for 2.4 MB of rows (1 MB zipped).
      python3 - "$d/book.xlsx" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("xl/workbook.xml", '<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
    z.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
        f.write(b"<worksheet><sheetData>")
        for _ in range(300):
            f.write(b'<row><c r="A1"><v>1</v></c></row>' * 30000)
        f.write(b"</sheetData></worksheet>")
PY
      ;;
    pdf_streams)
      # A 29 MB PDF: 4 million `stream` words back to back (each looks back for its dictionary), then
      # one deflated content stream of 20 MB of text operators.
      python3 - "$d/doc.pdf" <<'PY'
import sys, zlib
page = b"BT /F1 9 Tf 72 700 Td [(Rosa) -300 (Ortega)] TJ T* (note) Tj ET\n" * 300000
with open(sys.argv[1], "wb") as f:
    f.write(b"%PDF-1.4\n" + b"stream\n" * (4 << 20))
    data = zlib.compress(page)
    f.write(b"1 0 obj << /Length %d /Filter /FlateDecode >>\nstream\n" % len(data))
    f.write(data + b"\nendstream\nendobj\n%%EOF\n")
PY
      ;;
  esac
  touch "$d/.made"
}

# phiguard and gitleaks commands for an input (run inside its directory).
pg_cmd() {
  case "$1" in
    many_files) echo "$PG --no-config scan --staged" ;;
    loose_object) echo "$PG --no-config scan --range HEAD" ;;
    *) echo "$PG --config $HOST/big.toml scan ." ;;
  esac
}
gl_cmd() {
  case "$1" in
    many_files) echo "$GL git --pre-commit --staged --no-banner ." ;;
    loose_object) echo "$GL git --no-banner ." ;;
    *) echo "$GL dir --no-banner ." ;;
  esac
}

printf '| input | phiguard s | phiguard MiB | exit | gitleaks s | gitleaks MiB | exit |\n'
printf '|---|---:|---:|---:|---:|---:|---:|\n'
for name in $WHICH; do
  make_input "$name"
  # shellcheck disable=SC2046
  read -r ps pm pe < <(measure "$HOST/$name" $(pg_cmd "$name"))
  # shellcheck disable=SC2046
  read -r gs gm ge < <(measure "$HOST/$name" $(gl_cmd "$name"))
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$ps" "$pm" "$pe" "$gs" "$gm" "$ge"
done
