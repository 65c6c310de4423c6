#!/bin/sh
# Make naudiodon use the system PortAudio (Debian libportaudio2) on arm64, e.g. a Raspberry Pi.
#
# naudiodon 2.x carries one prebuilt libportaudio.so.2, an x86_64 build, and links its addon
# against a copy of it in build/Release. On arm64 that library cannot be linked or loaded, so the
# addon does not build (or does not load). This points naudiodon at the system libportaudio2 and
# rebuilds the addon against it; build/Release/libportaudio.so.2 then is a symlink to the system
# library, so apt security updates apply.
#
# Idempotent: if the addon already loads with the system library it only says so.
# On x86_64 it does nothing: the bundled library is the right one there.
#
# Needs (arm64): sudo apt-get install -y libportaudio2 build-essential python3
# Usage:  scripts/relink-portaudio.sh
#   On a fresh arm64 checkout naudiodon's own install step fails, so install without scripts first:
#   npm install --ignore-scripts && scripts/relink-portaudio.sh && npm rebuild
# Environment:
#   NAUDIODON_DIR   naudiodon's directory (default: <project>/node_modules/naudiodon)
#   PORTAUDIO_LIB   the system library (default: libportaudio.so.2 for this CPU, found with ldconfig)
#   RELINK_FORCE=1  run on any architecture (to test this script on a PC)
set -eu

say() { printf 'relink-portaudio: %s\n' "$*"; }
die() { printf 'relink-portaudio: %s\n' "$*" >&2; exit 1; }

arch=$(uname -m)
case "$arch" in
  aarch64 | arm64) ;;
  *)
    if [ "${RELINK_FORCE:-}" != 1 ]; then
      say "$arch: naudiodon's bundled PortAudio fits this machine; nothing to do."
      exit 0
    fi
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
nd=${NAUDIODON_DIR:-$root/node_modules/naudiodon}
[ -f "$nd/binding.gyp" ] || die "naudiodon is not installed at $nd — run 'npm install --ignore-scripts' first"
command -v node >/dev/null || die "node is not on PATH"

# ELF machine number of a file (183 = AArch64, 62 = x86-64, 40 = ARM), read from its header.
machine() { od -An -tu2 -j18 -N2 "$1" 2>/dev/null | tr -d ' \n'; }
want=$(machine "$(command -v node)")

lib=${PORTAUDIO_LIB:-}
if [ -z "$lib" ]; then
  for candidate in $(ldconfig -p 2>/dev/null | awk '/libportaudio\.so\.2 / { print $NF }'); do
    if [ "$(machine "$candidate")" = "$want" ]; then lib=$candidate; break; fi
  done
fi
if [ -z "$lib" ] || [ ! -f "$lib" ]; then die "no system libportaudio.so.2 for this CPU — sudo apt-get install -y libportaudio2"; fi
lib=$(readlink -f "$lib")
[ "$(machine "$lib")" = "$want" ] || die "$lib is not built for this CPU"

addon=$nd/build/Release/naudiodon.node
linked=$nd/build/Release/libportaudio.so.2
loads() { node -e 'require(process.argv[1])' "$nd" >/dev/null 2>&1; }

if [ -f "$addon" ] && [ "$(machine "$addon")" = "$want" ] && [ -e "$linked" ] && [ "$(readlink -f "$linked")" = "$lib" ] && loads; then
  say "naudiodon already uses $lib; nothing to do."
  exit 0
fi

# Where node-gyp finds the headers of the running node without downloading them.
prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
nodedir=
for dir in "$prefix" /usr /usr/local; do
  if [ -f "$dir/include/node/node.h" ]; then nodedir=$dir; break; fi
done

gyp=
for candidate in "$(npm root -g 2>/dev/null)/npm/node_modules/node-gyp/bin/node-gyp.js" "$prefix/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"; do
  if [ -f "$candidate" ]; then gyp=$candidate; break; fi
done
[ -n "$gyp" ] || command -v node-gyp >/dev/null || die "node-gyp not found (it comes with npm)"

# The build copies portaudio/bin/libportaudio.so.2 into build/Release: make that the system one.
bundled=$nd/portaudio/bin/libportaudio.so.2
if [ -f "$bundled" ] && [ ! -L "$bundled" ] && [ ! -e "$bundled.bundled" ]; then mv "$bundled" "$bundled.bundled"; fi
ln -sf "$lib" "$bundled"
rm -f "$linked"

say "rebuilding naudiodon against $lib"
(
  cd "$nd"
  if [ -n "$gyp" ]; then set -- node "$gyp"; else set -- node-gyp; fi
  if [ -n "$nodedir" ]; then "$@" rebuild "--nodedir=$nodedir"; else "$@" rebuild; fi
) >"$nd/relink-build.log" 2>&1 || die "the build failed; see $nd/relink-build.log (needs: apt-get install -y build-essential python3)"

# Follow the system library (apt updates) rather than a copy of it.
ln -sf "$lib" "$linked"
[ "$(machine "$addon")" = "$want" ] || die "the rebuilt addon is not for this CPU; see $nd/relink-build.log"
loads || die "the rebuilt addon does not load: node -e \"require('$nd')\""
say "done: naudiodon now uses $lib"
