#!/usr/bin/env bash
# Runs `kiosk-voice bench` on a kiosk over ssh from a laptop with this repo built, fetches the
# reports and shows them here. Run `scripts/bench.sh --help` for the options.
#
# Output: progress lines on stderr, each ending in "…"; a failure is one line without it, last.
# The table (and the comparison) go to stdout.
set -euo pipefail

readonly PROG=bench
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO
readonly CLI=$REPO/dist/cli.js

usage() {
  cat <<'EOF'
Usage: scripts/bench.sh --host <user@host> [options] [-- <extra args for kiosk-voice bench>]

Benchmarks a kiosk from this computer: runs `kiosk-voice bench` on the device over ssh (the corpus
played through the real pipeline: latency per stage, WER, engine speed, CPU heat, memory), fetches
its JSON and HTML reports and the device's facts, and prints the table here. Needs this repo built
(npm install && npm run build) and ssh key access to the device (no password prompts: BatchMode).

Steps: check the connection; check that kiosk-voice is on the device; copy the corpus (only when the
device does not have that exact corpus yet: it is kept under ~/.cache/kiosk-voice/bench-corpus/,
named by a hash of its contents) and the budget to the device; run the bench; fetch report.json,
report.html and device.txt (uname -a, board model, OS); print the table (and the comparison).
All the ssh and scp calls share one connection; the device's temp dir is removed at the end.

Options:
  --host USER@HOST      the device (required); a Host from ~/.ssh/config works too
  --port N              its ssh port (default: ssh's, usually 22)
  --identity KEY        the private key to log in with (only that key is offered)
  --corpus DIR          a local corpus: WAVs and corpus.tsv (file<TAB>reference text); default:
                        the corpus packaged with kiosk-voice on the device
  --turns N             questions to play (default: the bench's, 12)
  --budget FILE         a local YAML or JSON budget (scripts/bench/budgets/pi5.yaml); exit 1 when
                        a limit is exceeded
  --out DIR             where to put the results (default:
                        bench-results/<host>-<UTC time, e.g. 20250101T120000Z>/)
  --compare OLD.json    an earlier report.json: printed side by side with this run
  --remote-bin CMD      the kiosk-voice command on the device (default: kiosk-voice), a name on
                        its PATH or a path
  --ssh-option OPT      passed to ssh and scp as -o OPT (repeatable; these come first, so they win
                        over the script's own, e.g. ConnectTimeout=30)
  -h, --help            this help
  -- ARGS...            passed on to `kiosk-voice bench` on the device, e.g. -- --models pi4

Environment:
  BENCH_CONNECT_TIMEOUT  seconds to wait for the device to answer (default 10)

Examples:
  scripts/bench.sh --host pi@kiosk-07.local --budget scripts/bench/budgets/pi5.yaml
  scripts/bench.sh --host pi@kiosk-07.local --turns 30 --compare bench-results/kiosk-07.local-20250101T120000Z/report.json
  scripts/bench.sh --host pi@10.0.0.7 --port 2222 --identity ~/.ssh/kiosk --corpus ./my-corpus -- --models pi4

Exit status: 0 the bench ran (and met the budget), 1 a budget limit was exceeded (the table is
still printed), 2 anything else (bad usage, no connection, kiosk-voice missing, the bench failed).
EOF
}

# --- output -------------------------------------------------------------------------------------

progress() { printf '%s: %s …\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: %s\n' "$PROG" "$1" >&2
  exit "${2:-2}"
}
usage_error() { die "$1 (see scripts/bench.sh --help)"; }

# Single-quotes a word for the device's shell, whatever it holds.
squote() {
  # Pattern and replacement in variables: no bash version quotes them differently.
  local quote="'" escaped="'\\''"
  printf "'%s'" "${1//$quote/$escaped}"
}

is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }

# --- options ------------------------------------------------------------------------------------

HOST=
PORT=
IDENTITY=
CORPUS=
TURNS=
BUDGET=
OUT=
COMPARE=
REMOTE_BIN=kiosk-voice
USER_SSH_OPTIONS=()
EXTRA=()

need_value() {
  if [ "$2" -lt 2 ] || [ -z "$3" ]; then usage_error "$1 needs a value"; fi
}

while [ $# -gt 0 ]; do
  case $1 in
    --host | --port | --identity | --corpus | --turns | --budget | --out | --compare | --remote-bin | --ssh-option)
      need_value "$1" $# "${2-}"
      case $1 in
        --host) HOST=$2 ;;
        --port) PORT=$2 ;;
        --identity) IDENTITY=$2 ;;
        --corpus) CORPUS=$2 ;;
        --turns) TURNS=$2 ;;
        --budget) BUDGET=$2 ;;
        --out) OUT=$2 ;;
        --compare) COMPARE=$2 ;;
        --remote-bin) REMOTE_BIN=$2 ;;
        --ssh-option) USER_SSH_OPTIONS+=(-o "$2") ;;
      esac
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    --)
      shift
      EXTRA=("$@")
      break
      ;;
    *) usage_error "unknown option '$1'" ;;
  esac
  shift
done

[ -n "$HOST" ] || usage_error "--host is missing: which device, e.g. --host pi@kiosk-07.local"
# ssh would read a leading dash as one of its options.
[[ $HOST != -* ]] || usage_error "--host '$HOST' is not a host"
[ -z "$PORT" ] || { is_count "$PORT" && [ "$PORT" -le 65535 ]; } || usage_error "--port must be a port number (got '$PORT')"
[ -z "$TURNS" ] || is_count "$TURNS" || usage_error "--turns must be a positive whole number (got '$TURNS')"
[ -z "$IDENTITY" ] || [ -f "$IDENTITY" ] || usage_error "--identity $IDENTITY: no such file"
[ -z "$BUDGET" ] || [ -f "$BUDGET" ] || usage_error "--budget $BUDGET: no such file"
[ -z "$COMPARE" ] || [ -f "$COMPARE" ] || usage_error "--compare $COMPARE: no such file"
if [ -n "$CORPUS" ]; then
  [ -d "$CORPUS" ] || usage_error "--corpus $CORPUS: no such directory"
  [ -f "$CORPUS/corpus.tsv" ] || usage_error "--corpus $CORPUS has no corpus.tsv (file<TAB>reference text, one line per WAV)"
fi
TIMEOUT=${BENCH_CONNECT_TIMEOUT:-10}
is_count "$TIMEOUT" || usage_error "BENCH_CONNECT_TIMEOUT must be a whole number of seconds (got '$TIMEOUT')"

# Checked before connecting: the table is printed here at the end, and a run takes minutes.
command -v node >/dev/null 2>&1 || die "node is not installed on this computer — install Node.js 20 or newer, then npm install && npm run build"
[ -f "$CLI" ] || die "build the project first (npm install && npm run build)"

HOST_NAME=${HOST##*@}
if [ -z "$OUT" ]; then
  safe_host=${HOST_NAME//[^A-Za-z0-9._-]/_}
  OUT="bench-results/$safe_host-$(date -u +%Y%m%dT%H%M%SZ)"
fi
WHERE=$HOST
[ -z "$PORT" ] || WHERE="$HOST port $PORT"

# --- ssh ----------------------------------------------------------------------------------------

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kiosk-voice-bench.XXXXXX")
readonly CONTROL=$WORK/ssh
# The device's temp dir and a half-copied corpus: removed over the shared connection at exit.
REMOTE_CLEANUP=()
MASTER=0

# -o options for ssh and scp. ssh keeps the first value it gets for an option, so the user's go first.
OPTIONS=(${USER_SSH_OPTIONS[@]+"${USER_SSH_OPTIONS[@]}"}
  -o BatchMode=yes -o "ConnectTimeout=$TIMEOUT"
  # A device that drops off the network mid-bench is noticed within half a minute, not hours.
  -o ServerAliveInterval=10 -o ServerAliveCountMax=3
  -o ControlMaster=auto -o "ControlPath=$CONTROL" -o ControlPersist=120)
if [ -n "$IDENTITY" ]; then OPTIONS+=(-i "$IDENTITY" -o IdentitiesOnly=yes); fi
SSH=(ssh "${OPTIONS[@]}")
SCP=(scp -q "${OPTIONS[@]}")
if [ -n "$PORT" ]; then
  SSH+=(-p "$PORT")
  SCP+=(-P "$PORT")
fi

# remote SCRIPT ARGS...: runs the sh SCRIPT on the device with ARGS as $1…, each quoted for the trip.
remote() {
  local command arg
  command="sh -c $(squote "$1") $PROG"
  shift
  for arg in "$@"; do command+=" $(squote "$arg")"; done
  "${SSH[@]}" "$HOST" "$command"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ "$MASTER" -eq 1 ]; then
    if [ ${#REMOTE_CLEANUP[@]} -gt 0 ]; then
      # shellcheck disable=SC2016 # the single quotes hold the device's script
      remote 'rm -rf -- "$@"' "${REMOTE_CLEANUP[@]}" >/dev/null 2>&1 || true
    fi
    "${SSH[@]}" -O exit "$HOST" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

last_line() { tr '\r' '\n' | grep -v '^[[:space:]]*$' | tail -n 1 || true; }

# One line saying why ssh (exit 255) could not log in, from what it wrote to stderr.
ssh_failure() {
  local text=$1 last where="$HOST_NAME${PORT:+ port $PORT}" known=$HOST_NAME
  last=$(printf '%s\n' "$text" | last_line)
  # ssh names the address and port it tried ("connect to host H port P", "Connection to H port P").
  if [[ $text =~ (connect\ to\ host|Connection\ to)\ ([^ ]+)\ port\ ([0-9]+) ]]; then where="${BASH_REMATCH[2]} port ${BASH_REMATCH[3]}"; fi
  [ -z "$PORT" ] || [ "$PORT" = 22 ] || known="[$HOST_NAME]:$PORT"
  case $text in
    *"Connection refused"*) echo "cannot reach $where: connection refused — is the device on and sshd running?" ;;
    *"timed out"*) echo "cannot reach $where: no answer within $TIMEOUT s — is the device on and on this network? (BENCH_CONNECT_TIMEOUT=30 waits longer)" ;;
    *"No route to host"* | *"Network is unreachable"* | *"Host is down"*) echo "cannot reach $where: ${last##*: } — is the device on and on this network?" ;;
    *"Could not resolve hostname"*) echo "cannot resolve $HOST_NAME — check the name, or use the device's IP address" ;;
    *"REMOTE HOST IDENTIFICATION HAS CHANGED"*) echo "the host key of $HOST_NAME has changed since this computer last connected — if the device was reinstalled, forget the old key (ssh-keygen -R '$known') and connect once with ssh to accept the new one" ;;
    *"Host key verification failed"*) echo "the host key of $HOST_NAME is not known here — connect once with ssh $HOST to check and accept it (or pass --ssh-option StrictHostKeyChecking=accept-new)" ;;
    *"UNPROTECTED PRIVATE KEY FILE"* | *"bad permissions"*) echo "ssh will not use the key $IDENTITY: others can read it — chmod 600 $IDENTITY" ;;
    *"Permission denied"* | *"Too many authentication failures"*)
      if [ -n "$IDENTITY" ]; then
        echo "$HOST refused the key $IDENTITY — add it to ~/.ssh/authorized_keys on the device (ssh-copy-id -i $IDENTITY $HOST)"
      else
        echo "$HOST refused this computer's ssh keys — add yours to ~/.ssh/authorized_keys on the device (ssh-copy-id $HOST), or pass --identity"
      fi
      ;;
    *"Connection closed"* | *"Connection reset"* | *"kex_exchange_identification"*) echo "$where closed the connection before logging in — is it the device's sshd? ($last)" ;;
    *) echo "ssh to $HOST failed${last:+ ($last)}" ;;
  esac
}

# --- 1. the connection --------------------------------------------------------------------------

progress "connecting to $WHERE"
status=0
# The first call starts the shared connection (ControlPersist takes it to the background).
ssh_errors=$("${SSH[@]}" "$HOST" true 2>&1 >/dev/null) || status=$?
if [ "$status" -eq 255 ]; then die "$(ssh_failure "$ssh_errors")"; fi
MASTER=1
[ "$status" -eq 0 ] || die "ssh to $HOST logged in but could not run a command there (exit $status: $(printf '%s\n' "$ssh_errors" | last_line))"

# Every later call goes over the shared connection; 255 there means it was lost.
lost() { die "lost the connection to $HOST while $1 — is the device still on?"; }

# --- 2. kiosk-voice on the device ---------------------------------------------------------------

progress "looking for $REMOTE_BIN on the device"
status=0
# shellcheck disable=SC2016 # the single quotes hold the device's script
bin_path=$(remote '
  bin=$1
  case $bin in "~/"*) bin=$HOME/${bin#"~/"} ;; esac
  path=$(command -v "$bin") || exit 3
  case $path in /*) [ -x "$path" ] || exit 3 ;; esac
  printf "%s\n" "$path"' "$REMOTE_BIN" 2>/dev/null | tail -n 1) || status=$?
if [ "$status" -eq 255 ]; then lost "looking for $REMOTE_BIN"; fi
if [ "$status" -ne 0 ] || [ -z "$bin_path" ]; then
  die "kiosk-voice is not installed on $HOST_NAME (looked for '$REMOTE_BIN') — install it there (scripts/install.sh) or pass --remote-bin"
fi

# --- 3. a temp dir on the device ----------------------------------------------------------------

status=0
# shellcheck disable=SC2016 # the single quotes hold the device's script
remote_tmp=$(remote 'mktemp -d "${TMPDIR:-/tmp}/kiosk-voice-bench.XXXXXX"' 2>"$WORK/errors") || status=$?
if [ "$status" -eq 255 ]; then lost "making a temp dir"; fi
if [ "$status" -ne 0 ] || [ -z "$remote_tmp" ]; then die "cannot make a temp dir on $HOST_NAME ($(last_line <"$WORK/errors"))"; fi
REMOTE_CLEANUP+=("$remote_tmp")

# --- 4. the corpus ------------------------------------------------------------------------------

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum | cut -c1-64; else shasum -a 256 | cut -c1-64; fi
}

# 12 hex digits naming the corpus by its file names and contents: the same corpus is copied once.
corpus_hash() {
  (
    cd "$1"
    find . -type f -print | LC_ALL=C sort | while IFS= read -r file; do
      printf '%s  %s\n' "$(sha256 <"$file")" "$file"
    done
  ) | sha256 | cut -c1-12
}

remote_corpus=
if [ -n "$CORPUS" ]; then
  hash=$(corpus_hash "$CORPUS")
  files=$(find "$CORPUS" -type f | wc -l | tr -d ' ')
  status=0
  # shellcheck disable=SC2016 # the single quotes hold the device's script
  state=$(remote '
    base=${XDG_CACHE_HOME:-$HOME/.cache}/kiosk-voice/bench-corpus
    dir=$base/$1
    if [ -f "$dir/corpus.tsv" ]; then printf "present\n%s\n" "$dir"; exit 0; fi
    mkdir -p "$base" && staging=$(mktemp -d "$base/.incoming.XXXXXX") && printf "missing\n%s\n%s\n" "$dir" "$staging"' "$hash" 2>"$WORK/errors") || status=$?
  if [ "$status" -eq 255 ]; then lost "checking for the corpus"; fi
  [ "$status" -eq 0 ] || die "cannot make the corpus cache on $HOST_NAME ($(last_line <"$WORK/errors"))"
  { read -r found; read -r remote_corpus; read -r staging || true; } <<<"$state"
  if [ "$found" = present ]; then
    progress "corpus $CORPUS ($hash) is already on the device in $remote_corpus, not copying it"
  else
    REMOTE_CLEANUP+=("$staging")
    if [ "$files" = 1 ]; then files="1 file"; else files="$files files"; fi
    progress "copying corpus $CORPUS ($files, $hash) to the device"
    "${SCP[@]}" -r "$CORPUS" "$HOST:$staging/corpus" 2>"$WORK/errors" || die "cannot copy the corpus to $HOST_NAME ($(last_line <"$WORK/errors"))"
    # Moved into place whole, so that a copy cut short is never taken for the corpus; another run may
    # have placed the same corpus meanwhile.
    # shellcheck disable=SC2016 # the single quotes hold the device's script
    remote 'if [ -f "$2/corpus.tsv" ]; then rm -rf "$1"; else rm -rf "$2" && mv "$1/corpus" "$2" && rmdir "$1"; fi' "$staging" "$remote_corpus" 2>"$WORK/errors" ||
      die "cannot put the corpus in place on $HOST_NAME ($(last_line <"$WORK/errors"))"
  fi
fi

# --- 5. the budget ------------------------------------------------------------------------------

remote_budget=
if [ -n "$BUDGET" ]; then
  # The extension tells the bench how to read it.
  case $BUDGET in
    *.json | *.JSON) remote_budget=$remote_tmp/budget.json ;;
    *) remote_budget=$remote_tmp/budget.yaml ;;
  esac
  progress "copying budget $BUDGET to the device"
  "${SCP[@]}" "$BUDGET" "$HOST:$remote_budget" 2>"$WORK/errors" || die "cannot copy the budget to $HOST_NAME ($(last_line <"$WORK/errors"))"
fi

# --- 6. the bench -------------------------------------------------------------------------------

args=(bench)
if [ -n "$remote_corpus" ]; then args+=(--corpus "$remote_corpus"); fi
if [ -n "$TURNS" ]; then args+=(--turns "$TURNS"); fi
if [ -n "$remote_budget" ]; then args+=(--budget "$remote_budget"); fi
args+=(--json "$remote_tmp/report.json" --html "$remote_tmp/report.html" ${EXTRA[@]+"${EXTRA[@]}"})

progress "running $REMOTE_BIN bench on $HOST${TURNS:+ ($TURNS turns)}"
# Its stderr (progress, budget lines) passes through and is kept for the failure line; its stdout
# is the table, printed here from the fetched report instead.
set +e
# shellcheck disable=SC2016 # the single quotes hold the device's script
remote 'exec "$@"' "$bin_path" "${args[@]}" 2>&1 >/dev/null | tee "$WORK/bench-errors" >&2
bench_status=${PIPESTATUS[0]}
set -e
if [ "$bench_status" -eq 255 ]; then lost "the bench ran"; fi

# --- 7. the results -----------------------------------------------------------------------------

mkdir -p "$OUT" || die "cannot create $OUT — choose another --out"
progress "fetching the results into $OUT"
status=0
# shellcheck disable=SC2016 # the single quotes hold the device's script
written=$(remote 'cd "$1" && for f in report.json report.html; do if [ -f "$f" ]; then echo "$f"; fi; done' "$remote_tmp" 2>/dev/null) || status=$?
if [ "$status" -eq 255 ]; then lost "fetching the results"; fi
sources=()
for file in $written; do sources+=("$HOST:$remote_tmp/$file"); done
if [ ${#sources[@]} -gt 0 ]; then
  "${SCP[@]}" "${sources[@]}" "$OUT/" 2>"$WORK/errors" || die "cannot fetch the reports from $HOST_NAME ($(last_line <"$WORK/errors"))"
fi
# shellcheck disable=SC2016 # the single quotes hold the device's script
remote '
  printf "host: %s\n" "$(uname -n)"
  printf "uname: %s\n" "$(uname -a)"
  if [ -r /proc/device-tree/model ]; then printf "model: %s\n" "$(tr -d "\000" </proc/device-tree/model)"; fi
  if [ -r /etc/os-release ]; then printf "os: %s\n" "$(. /etc/os-release && printf "%s" "$PRETTY_NAME")"; fi
  printf "kiosk-voice: %s\n" "$1"' "$bin_path" >"$OUT/device.txt" 2>/dev/null || true

if [ "$bench_status" -ne 0 ] && { [ "$bench_status" -ne 1 ] || [ ! -f "$OUT/report.json" ]; }; then
  wrote=
  [ ${#sources[@]} -eq 0 ] || wrote=" (what it wrote is in $OUT)"
  die "the bench failed on $HOST_NAME (exit $bench_status): $(last_line <"$WORK/bench-errors")$wrote"
fi
[ -f "$OUT/report.json" ] || die "the bench on $HOST_NAME wrote no report.json (exit 0) — is kiosk-voice on the device older than this checkout?"

# --- 8. the table -------------------------------------------------------------------------------

report_args=(bench-report "$OUT/report.json")
if [ -n "$COMPARE" ]; then report_args+=(--compare "$COMPARE"); fi
status=0
node "$CLI" "${report_args[@]}" || status=$?
[ "$status" -eq 0 ] || die "bench-report could not show the report (exit $status) — the files are in $OUT"

# --- 9. where the files are, and the verdict ----------------------------------------------------

printf '\nResults in %s: report.html (open it in a browser), report.json, device.txt\n' "$OUT"
if [ "$bench_status" -eq 1 ]; then
  exceeded=$(node -e '
    const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const checks = (report.budget && report.budget.checks) || [];
    process.stdout.write(checks.filter((check) => !check.ok).map((check) => check.metric).join(", "));
  ' "$OUT/report.json" 2>/dev/null || true)
  die "over budget on $HOST_NAME (${BUDGET:-the budget}): ${exceeded:-see the budget lines above}" 1
fi
