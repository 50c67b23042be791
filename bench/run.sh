#!/usr/bin/env bash
# The benchmark: phiguard next to gitleaks and kingfisher, in the same run, on the shared corpus.
#
#   bench/run.sh                 # all workloads
#   bench/run.sh staged tree     # some of: staged tree floor typical receive redact startup dense
#                                # history push10k (not in the default set: minutes each)
#
# Builds what is missing: the release binary, the peers (../shared/bench/install_peers.sh) and
# the corpus (make_corpus.py, which needs local mirrors of the five source repositories: set
# BENCH_MIRROR to the folder holding <owner>+<name>/repo). Times with hyperfine (wall, mean of
# RUNS runs after a warm-up), peak RSS with /usr/bin/time -v, and writes a Markdown table with
# the ratios to target/bench/results.md (and prints it). RUNS (5) and WARMUP (1) set the runs
# per command: `RUNS=1 WARMUP=0 bench/run.sh history` for the minutes-long history rows.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHARED="${PHIGUARD_SHARED:-$ROOT/../shared}"
BENCH="${BENCH_HOME:-$ROOT/target/bench}"
PEERS="$BENCH/peers"
CORPUS="$BENCH/corpus"
OUT="$BENCH/results"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
WORK="${*:-staged tree typical receive redact startup}"
mkdir -p "$OUT"

[ -x "$PEERS/gitleaks" ] && command -v hyperfine >/dev/null || (cd "$ROOT" && BENCH_HOME="$BENCH" "$SHARED/bench/install_peers.sh")
if [ ! -d "$CORPUS/repo" ]; then
  : "${BENCH_MIRROR:?the corpus is missing: set BENCH_MIRROR to the folder with <owner>+<name>/repo mirrors}"
  (cd "$ROOT" && BENCH_HOME="$BENCH" "$PEERS/venv/bin/python" "$SHARED/bench/make_corpus.py" --mirror "$BENCH_MIRROR")
fi
# PHIGUARD_BIN: time that binary instead of building target/release/phiguard (A/B runs).
if [ -z "${PHIGUARD_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --release --locked --quiet)
fi
PG="${PHIGUARD_BIN:-$ROOT/target/release/phiguard}"
GL="$PEERS/gitleaks"
KF="$PEERS/kingfisher"
: > "$OUT/rows.tsv"

# rss DIR CMD...: peak RSS in MiB of one run.
rss() {
  local dir="$1"; shift
  (cd "$dir" && /usr/bin/time -v "$@" >/dev/null 2>"$OUT/time.txt") || true
  awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/time.txt"
}

# measure WORKLOAD DIR BYTES NAME CMD [NAME CMD]...: hyperfine in DIR, one row per command.
measure() {
  local workload="$1" dir="$2" bytes="$3"; shift 3
  local names=() cmds=()
  while [ $# -gt 0 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  local args=()
  for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
  (cd "$dir" && hyperfine -N -i --warmup "$WARMUP" --runs "$RUNS" --export-json "$OUT/$workload.json" "${args[@]}" >/dev/null 2>>"$OUT/hyperfine.log")
  for i in "${!names[@]}"; do
    # Through sh, so that a command's own quoting is read as hyperfine reads it: the push
    # rows' `sh -c '...'` was split into words, and its peak read as a failing shell's.
    printf '%s\t%s\t%s\t%s\n' "$workload" "${names[$i]}" "$bytes" "$(rss "$dir" sh -c "${cmds[$i]}")" >> "$OUT/rows.tsv"
  done
}

for w in $WORK; do
  case "$w" in
  staged)
    bytes=$(python3 -c "import json;print(json.load(open('$CORPUS/corpus_manifest.json'))['diff_added_line_bytes'])")
    measure staged "$CORPUS/repo" "$bytes" \
      phiguard "$PG scan --staged --no-config -q --format json" \
      gitleaks "$GL git --staged --no-banner --report-format json --report-path $OUT/gl-staged.json --exit-code 0" \
      kingfisher "$KF scan . --git-history none --no-validate --no-update-check -f json -o $OUT/kf-staged.json -q"
    ;;
  tree)
    bytes=$(du -sb "$CORPUS/tree" | cut -f1)
    measure tree "$CORPUS/tree" "$bytes" \
      phiguard "$PG scan . --no-config -q --format json" \
      gitleaks "$GL dir . --no-banner --report-format json --report-path $OUT/gl-tree.json --exit-code 0" \
      kingfisher "$KF scan . --git-history none --no-validate --no-update-check -f json -o $OUT/kf-tree.json -q"
    ;;
  floor)
    # What the tree row costs before any rule runs: the same scan with every rule disabled
    # (walking, reading, opening archives and documents, decoding, folding), beside cat of
    # every file. The tree row's ratio can be no better than gitleaks' time over this.
    NONE="$BENCH/no-rules.toml"
    "$PG" rules list | awk 'NF && $1 ~ /\./ {printf "%s\"%s\"", (n++ ? "," : "[rules]\ndisable = ["), $1} END {print "]"}' > "$NONE"
    bytes=$(du -sb "$CORPUS/tree" | cut -f1)
    measure floor "$CORPUS/tree" "$bytes" \
      "phiguard, no rules" "$PG scan . --config $NONE -q --format json" \
      "cat every file" "sh -c 'find . -type f -print0 | xargs -0 cat > /dev/null'"
    ;;
  typical)
    T="$BENCH/typical"
    if [ ! -d "$T/.git" ]; then
      rm -rf "$T" && mkdir -p "$T" && cp -r "$CORPUS/tree/redis/." "$T/"
      (cd "$T" && git init -q && git add -A && git -c user.name=b -c user.email=b@example.invalid commit -qm base)
    fi
    (cd "$T" && git reset -q --hard && python3 "$ROOT/bench/typical_change.py")
    bytes=$(git -C "$T" diff --cached | grep '^+' | grep -v '^+++' | wc -c)
    measure typical "$T" "$bytes" \
      phiguard "$PG scan --staged --no-config -q --format json" \
      "git diff --cached --quiet" "git diff --cached --quiet" \
      gitleaks "$GL git --staged --no-banner --report-format json --report-path $OUT/gl-typ.json --exit-code 0"
    ;;
  receive)
    python3 "$ROOT/bench/push_bench.py" --corpus "$CORPUS" --bin "$PG" --runs "$RUNS" > "$OUT/receive.md"
    ;;
  redact)
    LOG="$BENCH/large.log"
    [ -f "$LOG" ] || find "$CORPUS/tree/spring-framework" -name '*.java' -size -64k | sort | awk 'NR <= 3000' | xargs cat > "$LOG"
    bytes=$(stat -c %s "$LOG")
    measure redact "$BENCH" "$bytes" \
      phiguard "sh -c '$PG redact --no-config < $LOG > /dev/null'" \
      cat "sh -c 'cat < $LOG > /dev/null'"
    ;;
  dense)
    # PHI-dense content (bench/dense.py, synthetic): a 100,000-row patient CSV, 50,000 FHIR
    # Patients as NDJSON, an 8,333-patient FHIR bundle minified onto one line and pretty-printed,
    # 20,000 HL7 messages. Each file scanned as a file (JSON) and staged in a repository (the
    # pre-commit path, human output).
    D="$BENCH/dense"
    [ -f "$D/patients.csv" ] || python3 "$ROOT/bench/dense.py" "$D" --scale 100000
    for f in patients.csv patients.ndjson bundle.min.json bundle.json hl7.txt; do
      R="$BENCH/dense-repo-$f"
      if [ ! -d "$R/.git" ]; then
        mkdir -p "$R" && (cd "$R" && git init -q && cp "$D/$f" . && git add "$f")
      fi
      bytes=$(stat -c %s "$D/$f")
      measure "dense-$f" "$D" "$bytes" \
        phiguard "$PG scan --no-config -q --format json $f" \
        gitleaks "$GL dir $f --no-banner --report-format json --report-path $OUT/gl-dense.json --exit-code 0"
      measure "dense-staged-$f" "$R" "$bytes" \
        phiguard "$PG scan --staged --no-config" \
        gitleaks "$GL git --staged --no-banner --report-format json --report-path $OUT/gl-dense-staged.json --exit-code 0"
    done
    ;;
  history)
    # A whole history, as CI or a team adopting phiguard scans it: `scan --range HEAD` in a bare
    # mirror (BENCH_MIRROR/<owner>+<name>/repo, fetched with the fetch tool) beside gitleaks on
    # the same commits and git's own floors (the commits' changed paths; every diff). The
    # "bytes" column is the commit count.
    : "${BENCH_MIRROR:?history needs BENCH_MIRROR, the folder with <owner>+<name>/repo mirrors}"
    for name in ${HISTORY_REPOS:-redis+redis spring-projects+spring-framework}; do
      H="$BENCH_MIRROR/$name/repo"
      commits=$(git -C "$H" rev-list --count HEAD)
      measure "history-$name" "$H" "$commits" \
        phiguard "$PG scan --range HEAD --no-config -q --format json" \
        gitleaks "$GL git . --log-opts=HEAD --no-banner --report-format json --report-path $OUT/gl-history.json --exit-code 0" \
        "git log --raw" "git log --raw --no-abbrev HEAD" \
        "git log -p -U0" "git log -p -U0 HEAD"
    done
    ;;
  push10k)
    # pre-receive of a push of new history: redis' first 10,000 commits (topological order)
    # sent to an empty bare repository, the hook then run on the ref line with the objects in
    # place and no ref yet (as in the push's quarantine), at the default 4 s budget.
    : "${BENCH_MIRROR:?push10k needs BENCH_MIRROR, the folder with <owner>+<name>/repo mirrors}"
    H="$BENCH_MIRROR/redis+redis/repo"
    P="$BENCH/push/recv10k.git"
    tip=$(git -C "$H" rev-list --reverse --topo-order HEAD | sed -n 10000p)
    if [ ! -d "$P" ]; then
      git init -q --bare -b main "$P"
      git -C "$H" push -q "$P" "$tip:refs/heads/landed"
      git --git-dir "$P" update-ref -d refs/heads/landed
    fi
    printf '%s %s refs/heads/main\n' "$(printf '0%.0s' $(seq 40))" "$tip" > "$BENCH/push/recv10k.stdin"
    measure push10k "$BENCH" 10000 \
      phiguard "sh -c 'GIT_DIR=$P $PG hook pre-receive --no-config < $BENCH/push/recv10k.stdin > /dev/null'"
    # The same push as receive-pack runs the hook: the objects in a quarantine (a pack under
    # objects/incoming-*), named by GIT_QUARANTINE_PATH, the store an alternate.
    Q="$BENCH/push/quarantine10k.git"
    if [ ! -d "$Q" ]; then
      git init -q --bare -b main "$Q"
      mkdir -p "$Q/objects/incoming-bench/pack"
      cp "$P"/objects/pack/* "$Q/objects/incoming-bench/pack/"
    fi
    QE="GIT_DIR=$Q GIT_QUARANTINE_PATH=$Q/objects/incoming-bench GIT_OBJECT_DIRECTORY=$Q/objects/incoming-bench GIT_ALTERNATE_OBJECT_DIRECTORIES=$Q/objects"
    measure push10k-quarantine "$BENCH" 10000 \
      phiguard "sh -c '$QE $PG hook pre-receive --no-config < $BENCH/push/recv10k.stdin > /dev/null'"
    ;;
  startup)
    E="$BENCH/empty"
    [ -d "$E/.git" ] || (mkdir -p "$E" && cd "$E" && git init -q && echo x > f && git add f && git -c user.name=b -c user.email=b@example.invalid commit -qm x)
    measure startup "$E" 0 \
      phiguard "$PG scan --staged --no-config -q" \
      "git diff --cached --quiet" "git diff --cached --quiet"
    ;;
  *) echo "unknown workload $w" >&2; exit 2 ;;
  esac
done
python3 "$ROOT/bench/table.py" "$OUT" | tee "$BENCH/results.md"
if [ -s "$OUT/receive.md" ]; then
  printf '\n| workload | mean | peak RSS |\n|---|---|---|\n' | tee -a "$BENCH/results.md"
  tee -a "$BENCH/results.md" < "$OUT/receive.md"
fi
