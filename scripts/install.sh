#!/usr/bin/env bash
# Installs kiosk-voice as a systemd service on Raspberry Pi OS (64-bit, Bookworm or Trixie).
# Run `scripts/install.sh --help` for what it does; `--dry-run` shows the plan and changes nothing.
set -Eeuo pipefail
umask 022

readonly PROG=install.sh
readonly APP_DIR=/opt/kiosk-voice
readonly CONF_DIR=/etc/kiosk-voice
readonly STATE_DIR=/var/lib/kiosk-voice
readonly MODELS_DIR=$STATE_DIR/models
readonly CACHE_DIR=/var/cache/kiosk-voice
readonly UNIT_NAME=kiosk-voice.service
readonly UNIT_PATH=/etc/systemd/system/$UNIT_NAME
readonly WRAPPER=/usr/local/bin/kiosk-voice
readonly SERVICE_USER=kiosk-voice
# Installed only where no udev rule gives /dev/gpiochip* to group gpio (Raspberry Pi OS has one).
readonly UDEV_RULE=/etc/udev/rules.d/60-kiosk-voice-gpio.rules
# What the npm step was last run for; a second run with the same inputs skips it.
readonly STAMP=$APP_DIR/.install-stamp
# The node the shipped unit names; replaced by the one this installer finds.
readonly UNIT_NODE=/usr/bin/node

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO

usage() {
  cat <<EOF
Usage: sudo scripts/install.sh [options]

Installs kiosk-voice as the systemd service kiosk-voice on Raspberry Pi OS (64-bit, Bookworm or
Trixie) on a Raspberry Pi 5 or 4, from this checkout:
  - checks Node.js (20 or newer; 22 or 24 recommended) and the board (model set pi5 or pi4);
  - builds dist/ if it is missing or older than src/;
  - installs the Debian packages it needs at run time (apt-get);
  - creates the system user $SERVICE_USER (groups audio, gpio);
  - copies the app to $APP_DIR, installs its npm dependencies (without dev ones),
    rebuilds the native addons for this Node, and on arm64 relinks naudiodon to the system
    PortAudio;
  - writes $CONF_DIR/config.yaml (from systemd/config.example.yaml) and
    $CONF_DIR/secrets.env only if they do not exist, never overwriting them, and
    $CONF_DIR/kiosk-voice.env (the model set);
  - fetches the model set into $MODELS_DIR, with a progress bar (copying
    from \$KIOSK_MODELS_MIRROR first when it is set);
  - installs $WRAPPER and $UNIT_PATH,
    then enables and starts the service.
A second run changes only what is out of date.

Options:
  --dry-run        print the numbered plan, each step with what it would do; change nothing
                   (needs no root; on another system it warns and still prints the plan)
  --models SET     the model set to install and run (default: the one named in
                   $CONF_DIR/kiosk-voice.env, else the one for this board);
                   \`kiosk-voice models list\` lists them
  --node PATH      the Node.js to run the service with (default: node on PATH)
  --force          install on a system that is not Raspberry Pi OS arm64 (unsupported)
  --uninstall      stop, disable and remove the service, $APP_DIR,
                   $WRAPPER and the user; keeps $CONF_DIR and
                   $STATE_DIR (the config and the models)
  --purge          with --uninstall: also remove $CONF_DIR and $STATE_DIR
  --print-unit     print the unit file as it would be installed, and exit
  -h, --help       this help

Exit status: 0 done (or nothing to do), 1 a step failed, 2 bad usage, 3 unsupported system.
EOF
}

# --- output -------------------------------------------------------------------------------------

say() { printf '%s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$PROG" "$1" >&2
  exit "${2:-1}"
}

STEP=0
STEP_TOTAL=0
STEP_TITLE=
# The command run() is running, for on_error's message.
RUNNING=
step() {
  STEP=$((STEP + 1))
  STEP_TITLE=$1
  printf '\n[%d/%d] %s\n' "$STEP" "$STEP_TOTAL" "$1"
}

# A command that failed without a message of its own still ends in one line saying where.
on_error() {
  local status=$1 line=$2 command=$3
  # In a command substitution: the command around it fails in turn and says so.
  [ "$BASH_SUBSHELL" -eq 0 ] || exit "$status"
  trap - ERR
  if [ -n "$RUNNING" ]; then command=$RUNNING; fi
  if [ "$STEP" -gt 0 ]; then
    printf '%s: error: step %d (%s) failed: "%s" exited with %d (line %d)\n' "$PROG" "$STEP" "$STEP_TITLE" "$command" "$status" "$line" >&2
  else
    printf '%s: error: "%s" exited with %d (line %d)\n' "$PROG" "$command" "$status" "$line" >&2
  fi
  exit 1
}
trap 'on_error $? $LINENO "$BASH_COMMAND"' ERR

# --- acting, or saying what would be done -------------------------------------------------------

DRY_RUN=0
# Set when something the running service uses changed, so it is restarted at the end.
RESTART_NEEDED=0

# run DESCRIPTION COMMAND...: does it (or, with --dry-run, prints it), showing the command.
run() {
  local what=$1
  shift
  if [ "$DRY_RUN" -eq 1 ]; then
    info "would: $what"
  else
    info "$what"
  fi
  info "  \$ $(quote "$@")"
  [ "$DRY_RUN" -eq 0 ] || return 0
  RUNNING=$(quote "$@")
  "$@"
  RUNNING=
}

quote() {
  local out='' arg
  for arg in "$@"; do
    if [[ $arg =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then out+="$arg "; else out+="$(printf '%q' "$arg") "; fi
  done
  printf '%s' "${out% }"
}

# Both helpers below are called as plain commands, never as conditions (which would switch off
# set -e inside them); they report through CHANGED whether they wrote, or with --dry-run would write.
CHANGED=0

# put_file MODE OWNER:GROUP PATH CONTENT: writes PATH (atomically) when it is missing or differs.
put_file() {
  local mode=$1 owner=$2 path=$3 content=$4
  CHANGED=0
  if [ -f "$path" ] && cmp -s "$path" <(printf '%s\n' "$content") &&
    [ "$(stat -c '%a %U:%G' "$path")" = "${mode#0} $owner" ]; then
    info "$path is up to date"
    return 0
  fi
  CHANGED=1
  local verb=write done=wrote
  if [ -e "$path" ]; then verb=update done=updated; fi
  if [ "$DRY_RUN" -eq 1 ]; then
    info "would: $verb $path (mode $mode, $owner)"
    return 0
  fi
  local tmp
  tmp=$(mktemp "$(dirname "$path")/.${path##*/}.XXXXXX")
  printf '%s\n' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  chown "$owner" "$tmp"
  mv -f "$tmp" "$path"
  info "$done $path (mode $mode, $owner)"
}

# sync_tree SOURCE DEST: makes DEST (a file or a directory) a root-owned copy of SOURCE if it differs.
sync_tree() {
  local source=$1 dest=$2
  CHANGED=0
  if [ -e "$dest" ] && diff -rq "$source" "$dest" >/dev/null 2>&1; then
    info "$dest is up to date"
    return 0
  fi
  CHANGED=1
  if [ "$DRY_RUN" -eq 1 ]; then
    info "would: copy $source to $dest"
    return 0
  fi
  rm -rf "$dest.new"
  cp -R "$source" "$dest.new"
  chown -R root:root "$dest.new"
  rm -rf "$dest"
  mv "$dest.new" "$dest"
  info "copied $source to $dest"
}

# --- facts about this system --------------------------------------------------------------------

os_field() {
  local key=$1
  [ -r /etc/os-release ] || return 0
  (
    # shellcheck disable=SC1091
    . /etc/os-release
    printf '%s' "${!key:-}"
  )
}

dpkg_arch() {
  if command -v dpkg >/dev/null 2>&1; then dpkg --print-architecture; else uname -m; fi
}

board_model() {
  if [ -r /proc/device-tree/model ]; then tr -d '\0' </proc/device-tree/model; fi
}

# The model set for a board model string; empty when the board is not one the sets are made for.
set_for_board() {
  case $1 in
    # "Raspberry Pi 5" also matches the Pi 500 keyboard, and "Raspberry Pi 4" the Pi 400.
    "Raspberry Pi 5"* | "Raspberry Pi Compute Module 5"*) echo pi5 ;;
    "Raspberry Pi 4"* | "Raspberry Pi Compute Module 4"*) echo pi4 ;;
    *) echo "" ;;
  esac
}

mem_total_mib() {
  awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo 2>/dev/null || echo 0
}

is_installed_pkg() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

systemd_running() { [ -d /run/systemd/system ]; }

# manifest QUERY [SET]: reads models/manifest.json with node (plain JSON, no app code).
#   sets        every set name, one a line
#   default     the default set
#   packages    the Debian packages SET's models need
manifest() {
  "$NODE" -e '
    const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const [query, set] = process.argv.slice(2);
    if (query === "sets") console.log(Object.keys(m.sets).join("\n"));
    if (query === "default") console.log(m.default);
    if (query === "packages") {
      const pkgs = new Set();
      for (const id of m.sets[set].models) {
        const model = m.models.find((x) => x.id === id);
        if (model.system && model.system.debianPackage) pkgs.add(model.system.debianPackage);
        // The recogniser itself is Debian python3-pocketsphinx (scripts/pocketsphinx-stream.py).
        if (model.backend === "pocketsphinx") pkgs.add("python3-pocketsphinx");
      }
      if (pkgs.size) console.log([...pkgs].join("\n"));
    }
  ' "$REPO/models/manifest.json" "$@"
}

# --- options ------------------------------------------------------------------------------------

ARGS=("$@")
MODE=install
PURGE=0
FORCE=0
PRINT_UNIT=0
MODEL_SET_ARG=
NODE_ARG=

while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) DRY_RUN=1 ;;
    --uninstall) MODE=uninstall ;;
    --purge) PURGE=1 ;;
    --force) FORCE=1 ;;
    --print-unit) PRINT_UNIT=1 ;;
    --models)
      if [ $# -lt 2 ] || [ -z "$2" ]; then die "--models needs a model set name, e.g. --models pi5 (see --help)" 2; fi
      MODEL_SET_ARG=$2
      shift
      ;;
    --models=*) MODEL_SET_ARG=${1#--models=} ;;
    --node)
      if [ $# -lt 2 ] || [ -z "$2" ]; then die "--node needs the path of a node binary, e.g. --node /usr/bin/node (see --help)" 2; fi
      NODE_ARG=$2
      shift
      ;;
    --node=*) NODE_ARG=${1#--node=} ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown option '$1' — see scripts/install.sh --help" 2 ;;
  esac
  shift
done

[ "$PURGE" -eq 0 ] || [ "$MODE" = uninstall ] || die "--purge only goes with --uninstall (it removes the config and the models)" 2
if [ "$MODE" = uninstall ] && { [ -n "$MODEL_SET_ARG" ] || [ -n "$NODE_ARG" ] || [ "$PRINT_UNIT" -eq 1 ]; }; then
  die "--uninstall takes no --models, --node or --print-unit" 2
fi

# --- Node ---------------------------------------------------------------------------------------

NODE=
NODE_VERSION=

find_node() {
  local found
  if [ -n "$NODE_ARG" ]; then
    if [ ! -f "$NODE_ARG" ] || [ ! -x "$NODE_ARG" ]; then die "--node $NODE_ARG is not an executable file"; fi
    found=$NODE_ARG
  else
    found=$(command -v node 2>/dev/null) || die "Node.js not found on PATH (sudo resets PATH, and per-user installs such as nvm cannot serve a system service) — install Node 22 or 24 system-wide, e.g. from NodeSource (https://github.com/nodesource/distributions), or pass --node /path/to/node"
  fi
  # Absolute, but not resolved: a symlink such as /usr/local/bin/node keeps working when the Node it
  # points to is upgraded. Where it leads is checked as well.
  NODE=$(cd "$(dirname "$found")" && pwd)/$(basename "$found")
  local real
  real=$(readlink -f "$NODE")
  if [[ $NODE =~ [[:space:]] ]]; then
    die "the node path '$NODE' contains white space, which the unit's ExecStart= cannot take — install Node under a path without spaces"
  fi
  local path
  for path in "$NODE" "$real"; do
    case $path in
      /home/* | /root/* | /run/user/*) die "node is at $path, inside a home directory the service cannot see (ProtectHome=yes) and that user may change — install Node system-wide (e.g. NodeSource's nodejs package) or pass --node with a system path" ;;
    esac
  done
  NODE_VERSION=$("$NODE" -p 'process.versions.node' 2>/dev/null) || die "$NODE does not run (node -p process.versions.node failed) — is it built for this CPU?"
}

check_node() {
  local major=${NODE_VERSION%%.*}
  info "Node.js $NODE_VERSION at $NODE"
  [ "$major" -ge 20 ] || die "Node.js $NODE_VERSION is too old: kiosk-voice needs 20 or newer (22 or 24 recommended) — install Node 22 system-wide, e.g. from NodeSource, or pass --node"
  case $major in
    22 | 24) ;;
    20) warn "Node.js 20 is past its end of life; 22 or 24 is recommended (it works)" ;;
    *) warn "Node.js $major is not a tested LTS release; 22 or 24 is recommended" ;;
  esac
  NPM=$(dirname "$NODE")/npm
  if [ ! -x "$NPM" ]; then
    NPM=$(command -v npm 2>/dev/null) || die "npm not found next to $NODE or on PATH — install it (Debian: apt-get install npm; NodeSource's nodejs includes it)"
  fi
  info "npm $(PATH="$(dirname "$NODE"):$PATH" "$NPM" --version 2>/dev/null || echo '(version unknown)') at $NPM"
}

# The unit as installed: the shipped file with the absolute path of this node in ExecStart.
render_unit() {
  local source=$REPO/systemd/kiosk-voice.service
  [ -f "$source" ] || die "$source is missing — run the installer from a kiosk-voice checkout"
  grep -q "^ExecStart=$UNIT_NODE " "$source" || die "$source has no 'ExecStart=$UNIT_NODE …' line to put the node path in"
  local line
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line == "ExecStart=$UNIT_NODE "* ]]; then
      printf '%s\n' "ExecStart=$NODE ${line#"ExecStart=$UNIT_NODE "}"
    else
      printf '%s\n' "$line"
    fi
  done <"$source"
}

if [ "$PRINT_UNIT" -eq 1 ]; then
  find_node
  render_unit
  exit 0
fi

# --- uninstall ----------------------------------------------------------------------------------

do_uninstall() {
  STEP_TOTAL=6
  say "kiosk-voice uninstall$([ "$DRY_RUN" -eq 0 ] || printf ' — dry run: nothing will be changed')"

  step "Stop and disable the service"
  if [ -e "$UNIT_PATH" ] || { systemd_running && systemctl cat "$UNIT_NAME" >/dev/null 2>&1; }; then
    if systemd_running; then
      run "stop and disable $UNIT_NAME" systemctl disable --now "$UNIT_NAME"
    else
      warn "systemd is not running here (a container or chroot?): only disabling the unit"
      run "disable $UNIT_NAME" systemctl disable "$UNIT_NAME"
    fi
  else
    info "$UNIT_NAME is not installed"
  fi

  step "Remove the unit file"
  if [ -e "$UNIT_PATH" ]; then
    run "remove $UNIT_PATH" rm -f "$UNIT_PATH"
    if systemd_running; then run "reload systemd" systemctl daemon-reload; fi
  else
    info "$UNIT_PATH is not there"
  fi
  if systemd_running && systemctl is-failed --quiet "$UNIT_NAME" 2>/dev/null; then
    run "forget the unit's failed state" systemctl reset-failed "$UNIT_NAME"
  fi

  step "Remove the command and the app"
  local path
  for path in "$WRAPPER" "$APP_DIR" "$CACHE_DIR" "$UDEV_RULE"; do
    if [ -e "$path" ]; then run "remove $path" rm -rf "$path"; else info "$path is not there"; fi
  done

  step "Remove the user $SERVICE_USER"
  if getent passwd "$SERVICE_USER" >/dev/null; then
    run "remove the system user $SERVICE_USER (and its group)" userdel "$SERVICE_USER"
  else
    info "no user $SERVICE_USER"
  fi
  if getent group "$SERVICE_USER" >/dev/null; then
    run "remove the group $SERVICE_USER" groupdel "$SERVICE_USER"
  fi

  step "Config and models"
  for path in "$CONF_DIR" "$STATE_DIR"; do
    if [ ! -e "$path" ]; then
      info "$path is not there"
    elif [ "$PURGE" -eq 1 ]; then
      run "remove $path (--purge)" rm -rf "$path"
    else
      info "kept $path (remove it too with --uninstall --purge)"
    fi
  done

  step "Done"
  if [ "$DRY_RUN" -eq 1 ]; then info "dry run: nothing was changed"; else info "kiosk-voice is uninstalled"; fi
}

# --- install ------------------------------------------------------------------------------------

check_system() {
  local id codename arch pretty problem=
  id=$(os_field ID)
  codename=$(os_field VERSION_CODENAME)
  pretty=$(os_field PRETTY_NAME)
  arch=$(dpkg_arch)
  info "${pretty:-unknown system} ($arch)$([ -e /etc/rpi-issue ] && printf ', Raspberry Pi OS')"
  if [ "$id" != debian ] && [ "$id" != raspbian ]; then
    problem="this is ${pretty:-an unknown system}, not Raspberry Pi OS (Debian)"
  elif [ "$codename" != bookworm ] && [ "$codename" != trixie ]; then
    problem="this is ${pretty:-Debian} ($codename); Raspberry Pi OS Bookworm or Trixie is needed"
  elif [ "$arch" != arm64 ]; then
    problem="this is $arch; the installer is for 64-bit Raspberry Pi OS (arm64)"
  fi
  [ -n "$problem" ] || return 0
  if [ "$DRY_RUN" -eq 1 ]; then
    warn "$problem — a real run stops here (or goes on with --force); the plan follows anyway"
  elif [ "$FORCE" -eq 1 ]; then
    warn "$problem — going on because of --force (unsupported)"
  else
    die "$problem — install on Raspberry Pi OS 64-bit (Bookworm or Trixie), or pass --force to try anyway" 3
  fi
}

MODEL_SET=
choose_model_set() {
  local model board_set sets current=
  mapfile -t sets < <(manifest sets)
  model=$(board_model)
  board_set=$(set_for_board "$model")
  info "board: ${model:-unknown (no /proc/device-tree/model)}"
  if [ -f "$CONF_DIR/kiosk-voice.env" ]; then
    current=$(sed -n 's/^KIOSK_MODEL_SET=//p' "$CONF_DIR/kiosk-voice.env" | tail -n 1)
  fi
  if [ -n "$MODEL_SET_ARG" ]; then
    MODEL_SET=$MODEL_SET_ARG
    info "model set: $MODEL_SET (--models)"
  elif [ -n "$current" ]; then
    MODEL_SET=$current
    info "model set: $MODEL_SET (kept from $CONF_DIR/kiosk-voice.env)"
    if [ -n "$board_set" ] && [ "$board_set" != "$current" ]; then
      info "note: this board's default set is $board_set; change it with --models $board_set"
    fi
  elif [ -n "$board_set" ]; then
    MODEL_SET=$board_set
    info "model set: $MODEL_SET (for this board)"
  else
    MODEL_SET=$(manifest default)
    warn "not a Raspberry Pi 5 or 4 (board: ${model:-unknown}); using the default model set $MODEL_SET — choose another with --models (${sets[*]})"
  fi
  local known=0 s
  for s in "${sets[@]}"; do [ "$s" != "$MODEL_SET" ] || known=1; done
  [ "$known" -eq 1 ] || die "unknown model set '$MODEL_SET' — use one of: ${sets[*]}" 2
  if [ "$MODEL_SET" = pi5 ] || [ "$MODEL_SET" = pi5-offline-asr ]; then
    local mem
    mem=$(mem_total_mib)
    if [ "$mem" -gt 0 ] && [ "$mem" -lt 3500 ]; then
      warn "the $MODEL_SET set's language model wants a board with 4 GB or more; this one has $mem MiB — consider --models pi4"
    fi
  fi
}

# What the installer copies from the checkout (besides dist/, which it can build).
APP_FILES=(package.json package-lock.json models/manifest.json systemd/kiosk-voice.service systemd/config.example.yaml
  scripts/pocketsphinx-stream.py scripts/relink-portaudio.sh scripts/install.sh)

check_checkout() {
  local item
  for item in "${APP_FILES[@]}"; do
    [ -f "$REPO/$item" ] || die "$REPO/$item is missing — run the installer from a complete kiosk-voice checkout"
  done
}

build_dist() {
  local reason=
  if [ ! -f "$REPO/dist/cli.js" ]; then
    reason="dist/ is missing"
  elif [ -d "$REPO/src" ] && [ -n "$(find "$REPO/src" "$REPO/tsconfig.build.json" -newer "$REPO/dist/cli.js" -print -quit 2>/dev/null)" ]; then
    reason="src/ is newer than dist/"
  fi
  if [ -z "$reason" ]; then
    info "dist/ is up to date"
    return 0
  fi
  [ -d "$REPO/src" ] || die "$reason and there is no src/ to build it from — run the installer from a kiosk-voice checkout"
  # Built as the checkout's owner, so root leaves no files of its own in it. --ignore-scripts: only
  # TypeScript is needed here (the native addons are built in $APP_DIR for the service).
  local owner
  owner=$(stat -c %U "$REPO")
  local -a as_owner=()
  [ "$owner" = root ] || [ "$(id -un)" = "$owner" ] || as_owner=(runuser -u "$owner" --)
  info "$reason: building it as $owner"
  if [ ! -d "$REPO/node_modules" ] || [ "$REPO/package-lock.json" -nt "$REPO/node_modules/.package-lock.json" ]; then
    run "install the build's npm dependencies in $REPO" "${as_owner[@]}" "$NPM" --prefix "$REPO" install --ignore-scripts --no-audit --no-fund
  fi
  run "compile TypeScript to $REPO/dist" "${as_owner[@]}" "$NPM" --prefix "$REPO" run build
  [ "$DRY_RUN" -eq 1 ] || [ -f "$REPO/dist/cli.js" ] || die "the build did not produce $REPO/dist/cli.js — run 'npm run build' in $REPO to see why"
}

# Run-time packages: the test-only ones of scripts/setup.sh (flite, sox, pv, python3-onnx,
# python3-numpy, shellcheck) are left out.
#   alsa-utils         arecord/aplay, the capture and playback that always work
#   libportaudio2      the system PortAudio naudiodon is relinked to on arm64
#   gpiod              gpiomon/gpioset, the GPIO backend the service can use
#   bzip2              unpacks the sherpa-onnx model archives
#   espeak-ng(-data)   the espeak-ng voice, the fallback TTS backend (and the test set's)
#   build-essential, python3   node-gyp builds the native addons (segfault-handler, epoll,
#                      unix-dgram, naudiodon) for the Node found here
# plus what the model set's models name in the manifest (e.g. pocketsphinx for the test set).
BASE_PACKAGES=(alsa-utils libportaudio2 gpiod bzip2 espeak-ng espeak-ng-data build-essential python3)

install_packages() {
  local -a wanted=("${BASE_PACKAGES[@]}") missing=()
  local pkg
  for pkg in $(manifest packages "$MODEL_SET"); do
    [[ " ${wanted[*]} " == *" $pkg "* ]] || wanted+=("$pkg")
  done
  for pkg in "${wanted[@]}"; do is_installed_pkg "$pkg" || missing+=("$pkg"); done
  if [ "${#missing[@]}" -eq 0 ]; then
    info "all installed: ${wanted[*]}"
    return 0
  fi
  info "missing: ${missing[*]}"
  run "refresh the package lists" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  run "install ${missing[*]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

has_gpio_udev_rule() {
  grep -qsE 'GROUP="gpio"' /etc/udev/rules.d/*.rules /usr/lib/udev/rules.d/*.rules /lib/udev/rules.d/*.rules
}

create_user() {
  local group
  for group in audio gpio; do
    if getent group "$group" >/dev/null; then
      info "group $group exists"
    else
      run "create the system group $group" groupadd --system "$group"
    fi
  done
  if has_gpio_udev_rule; then
    info "a udev rule gives the GPIO chips to group gpio"
  elif [ ! -d /etc/udev/rules.d ]; then
    warn "udev is not installed: /dev/gpiochip* stay root's, so GPIO will not work for $SERVICE_USER"
  else
    put_file 0644 root:root "$UDEV_RULE" '# Installed by kiosk-voice scripts/install.sh: the GPIO character devices for group gpio.
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"'
    if [ "$CHANGED" -eq 1 ] && [ -d /run/udev ]; then run "apply the udev rule" udevadm trigger --subsystem-match=gpio; fi
  fi

  if getent passwd "$SERVICE_USER" >/dev/null; then
    info "user $SERVICE_USER exists"
    local missing=() current
    current=" $(id -nG "$SERVICE_USER") "
    for group in audio gpio; do [[ $current == *" $group "* ]] || missing+=("$group"); done
    if [ "${#missing[@]}" -gt 0 ]; then
      run "add $SERVICE_USER to ${missing[*]}" usermod -a -G "$(
        IFS=,
        echo "${missing[*]}"
      )" "$SERVICE_USER"
    fi
  else
    run "create the system user $SERVICE_USER (home $STATE_DIR, no login, groups audio gpio)" \
      useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin \
      --groups audio,gpio --comment "kiosk-voice service" "$SERVICE_USER"
  fi
}

# make_dir PATH MODE OWNER:GROUP
make_dir() {
  local path=$1 mode=$2 owner=$3
  if [ -d "$path" ] && [ "$(stat -c '%a %U:%G' "$path")" = "${mode#0} $owner" ]; then
    info "$path is there"
    return 0
  fi
  run "create $path (mode $mode, $owner)" install -d -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$path"
}

create_dirs() {
  make_dir "$CONF_DIR" 0750 "root:$SERVICE_USER"
  make_dir "$STATE_DIR" 0750 "$SERVICE_USER:$SERVICE_USER"
  make_dir "$MODELS_DIR" 0750 "$SERVICE_USER:$SERVICE_USER"
  make_dir "$CACHE_DIR" 0750 "$SERVICE_USER:$SERVICE_USER"
  # Models left by an earlier install belong to that install's user id.
  if [ -d "$MODELS_DIR" ] && [ -n "$(find "$MODELS_DIR" ! -user "$SERVICE_USER" -print -quit 2>/dev/null)" ]; then
    run "give the existing models to $SERVICE_USER" chown -R "$SERVICE_USER:$SERVICE_USER" "$STATE_DIR"
  fi
}

copy_app() {
  make_dir "$APP_DIR" 0755 root:root
  make_dir "$APP_DIR/models" 0755 root:root
  make_dir "$APP_DIR/scripts" 0755 root:root
  if [ "$REPO" = "$APP_DIR" ]; then
    info "running from $APP_DIR itself: nothing to copy"
    return 0
  fi
  local item
  # What the service and the command line use: the build, the manifest, the pocketsphinx server,
  # the unit and example config (for reference), and this installer and the relink script.
  for item in dist models/manifest.json systemd scripts/pocketsphinx-stream.py scripts/relink-portaudio.sh scripts/install.sh; do
    sync_tree "$REPO/$item" "$APP_DIR/$item"
    [ "$CHANGED" -eq 0 ] || RESTART_NEEDED=1
  done
}

npm_inputs() {
  { cat "$REPO/package.json" "$REPO/package-lock.json"; printf 'node %s %s\n' "$NODE_VERSION" "$(uname -m)"; } | sha256sum | cut -d' ' -f1
}

install_dependencies() {
  local want
  want=$(npm_inputs)
  if [ -d "$APP_DIR/node_modules" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    info "npm dependencies are installed and built for Node $NODE_VERSION"
    return 0
  fi
  RESTART_NEEDED=1
  local file
  for file in package.json package-lock.json; do
    if [ "$REPO" != "$APP_DIR" ]; then sync_tree "$REPO/$file" "$APP_DIR/$file"; fi
  done
  local -a npm=("$NPM" --prefix "$APP_DIR")
  # `npm install`, not `npm ci`: the lock was made where the registry lacked node-llama-cpp's
  # prebuilt packages for other platforms, so `npm ci` refuses; versions still come from the lock.
  # --no-save keeps the lock as shipped. --ignore-scripts: on arm64 naudiodon's own build fails
  # until it is relinked, so the native builds come after, in one `npm rebuild` for this Node.
  run "install the npm dependencies (without dev ones)" "${npm[@]}" install --omit=dev --no-save --ignore-scripts --no-audit --no-fund
  local arch
  arch=$(uname -m)
  if [ "$arch" = aarch64 ] || [ "$arch" = arm64 ]; then
    run "point naudiodon at the system PortAudio" "$APP_DIR/scripts/relink-portaudio.sh"
  fi
  run "build the native addons for Node $NODE_VERSION (segfault-handler, epoll, unix-dgram, naudiodon, …)" "${npm[@]}" rebuild
  if [ "$arch" = aarch64 ] || [ "$arch" = arm64 ]; then
    # npm rebuild may leave a copy of the library where the relink keeps a symlink; this restores it.
    run "check naudiodon still uses the system PortAudio" "$APP_DIR/scripts/relink-portaudio.sh"
  fi
  if [ "$DRY_RUN" -eq 0 ]; then
    local addon
    for addon in segfault-handler epoll unix-dgram naudiodon; do
      [ -d "$APP_DIR/node_modules/$addon" ] || continue
      (cd "$APP_DIR" && "$NODE" -e 'require(process.argv[1])' "$addon" >/dev/null 2>&1) ||
        die "the native addon $addon does not load in Node $NODE_VERSION after the rebuild — run: cd $APP_DIR && npm rebuild $addon"
    done
    printf '%s\n' "$want" >"$STAMP"
  fi
}

# The header's GPIO chip by its label: pinctrl-rp1 (Pi 5: gpiochip4 on older kernels, gpiochip0 on
# current ones), pinctrl-bcm2711 (Pi 4), pinctrl-bcm2835 (older boards).
header_gpio_chip() {
  command -v gpiodetect >/dev/null 2>&1 || return 0
  gpiodetect 2>/dev/null | awk '/\[pinctrl-(rp1|bcm2711|bcm2835)\]/ { print $1; exit }'
}

# A kept file may still carry the group id of an earlier install's (since removed) group.
readable_by_service() {
  local path=$1
  if [ "$(stat -c %G "$path")" != "$SERVICE_USER" ]; then
    run "give $path to group $SERVICE_USER, so the service can read it" chgrp "$SERVICE_USER" "$path"
  fi
}

write_config() {
  local config=$CONF_DIR/config.yaml example=$REPO/systemd/config.example.yaml
  [ -f "$example" ] || die "$example is missing — is this a complete kiosk-voice checkout?"
  if [ -e "$config" ]; then
    info "kept the existing $config (never overwritten; the example is $APP_DIR/systemd/config.example.yaml)"
    readable_by_service "$config"
  else
    local content chip
    content=$(cat "$example")
    chip=$(header_gpio_chip)
    if [ -n "$chip" ] && [ "$chip" != gpiochip0 ]; then
      info "the header's GPIO chip is $chip"
      content=${content/chip: gpiochip0 /chip: $chip }
    fi
    put_file 0640 "root:$SERVICE_USER" "$config" "$content"
    RESTART_NEEDED=1
  fi

  local secrets=$CONF_DIR/secrets.env
  if [ -e "$secrets" ]; then
    info "kept the existing $secrets"
    readable_by_service "$secrets"
  else
    put_file 0640 "root:$SERVICE_USER" "$secrets" "# Secrets for the kiosk-voice service, as environment variables (read by systemd; see
# EnvironmentFile= in $UNIT_PATH). Any setting can be given as KIOSK_VOICE__<PATH>, e.g. the MQTT
# password, so it stays out of config.yaml. A variable naming no setting stops the service at start.
# After a change: sudo systemctl restart kiosk-voice
#KIOSK_VOICE__MQTT__PASSWORD=change-me"
  fi

  put_file 0644 root:root "$CONF_DIR/kiosk-voice.env" "# Written by kiosk-voice scripts/install.sh: the model set the service runs (kiosk-voice models list).
# Change it with: sudo scripts/install.sh --models <set>  (which also fetches the set)
KIOSK_MODEL_SET=$MODEL_SET"
  [ "$CHANGED" -eq 0 ] || RESTART_NEEDED=1
}

fetch_models() {
  local path=/usr/sbin:/usr/bin:/sbin:/bin
  [[ :$path: == *":$(dirname "$NODE"):"* ]] || path=$(dirname "$NODE"):$path
  local -a env=(HOME="$STATE_DIR" PATH="$path")
  [ -z "${KIOSK_MODELS_MIRROR:-}" ] || env+=(KIOSK_MODELS_MIRROR="$KIOSK_MODELS_MIRROR")
  # As the service user, so the files are its own and no download runs as root.
  run "fetch model set $MODEL_SET into $MODELS_DIR (skips files already verified)" \
    runuser -u "$SERVICE_USER" -- env "${env[@]}" "$NODE" "$APP_DIR/dist/cli.js" models fetch --set "$MODEL_SET" --dir "$MODELS_DIR"
}

install_wrapper() {
  put_file 0755 root:root "$WRAPPER" "#!/bin/sh
# The kiosk-voice command line (installed by scripts/install.sh); the service runs from $UNIT_PATH.
exec $NODE $APP_DIR/dist/cli.js \"\$@\""
}

install_unit() {
  local unit
  unit=$(render_unit)
  put_file 0644 root:root "$UNIT_PATH" "$unit"
  local unit_changed=$CHANGED
  if ! systemd_running; then
    warn "systemd is not running here (a container or chroot?): the unit is only enabled, and starts at the next boot"
    if [ -L "/etc/systemd/system/multi-user.target.wants/$UNIT_NAME" ]; then info "$UNIT_NAME is enabled"; else run "enable $UNIT_NAME" systemctl enable "$UNIT_NAME"; fi
    return 0
  fi
  if [ "$unit_changed" -eq 1 ]; then run "reload systemd" systemctl daemon-reload; fi
  if systemctl is-enabled --quiet "$UNIT_NAME" 2>/dev/null; then
    info "$UNIT_NAME is enabled"
  else
    run "enable $UNIT_NAME (starts at boot)" systemctl enable "$UNIT_NAME"
  fi
  if ! systemctl is-active --quiet "$UNIT_NAME" 2>/dev/null; then
    run "start $UNIT_NAME" systemctl start --no-block "$UNIT_NAME"
  elif [ "$unit_changed" -eq 1 ] || [ "$RESTART_NEEDED" -eq 1 ]; then
    run "restart $UNIT_NAME (it runs what was just installed)" systemctl restart --no-block "$UNIT_NAME"
  else
    info "$UNIT_NAME is running what is installed"
  fi
}

print_checks() {
  cat <<EOF
    systemctl status kiosk-voice       state, and the daemon's one-line STATUS
    journalctl -u kiosk-voice -f       the log (at the first start the models load, then "listening")
    sudo -u $SERVICE_USER kiosk-voice doctor --config $CONF_DIR/config.yaml --models $MODEL_SET
                                       audio, GPIO, models, MQTT, temperature and the service
    sudo -u $SERVICE_USER kiosk-voice devices
                                       the microphones and speakers the service can open; put yours in
                                       $CONF_DIR/config.yaml, then: sudo systemctl restart kiosk-voice
EOF
}

do_install() {
  STEP_TOTAL=13
  say "kiosk-voice install from $REPO$([ "$DRY_RUN" -eq 0 ] || printf ' — dry run: nothing will be changed')"

  step "Check the system"
  check_system
  # After the system check, so that a wrong system is named first.
  if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "the installer must run as root: sudo $0 ${ARGS[*]}  (or see the plan with --dry-run)"; fi

  step "Check Node.js"
  find_node
  check_node
  # npm, node-gyp and the relink script run this node.
  PATH="$(dirname "$NODE"):$PATH"
  export PATH

  step "Choose the model set"
  choose_model_set

  step "Build the app"
  check_checkout
  build_dist

  step "Install Debian packages (apt)"
  install_packages

  step "Create the user $SERVICE_USER and its groups"
  create_user

  step "Create the directories"
  create_dirs

  step "Copy the app to $APP_DIR"
  copy_app

  step "Install npm dependencies and native addons in $APP_DIR"
  install_dependencies

  step "Write the config in $CONF_DIR"
  write_config

  step "Fetch the models ($MODEL_SET)"
  fetch_models

  step "Install the command and the unit; enable and start the service"
  install_wrapper
  install_unit

  step "How to check it"
  print_checks
  if [ "$DRY_RUN" -eq 1 ]; then info "dry run: nothing was changed"; else info "kiosk-voice is installed"; fi
}

if [ "$MODE" = uninstall ]; then
  if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then die "--uninstall must run as root: sudo $0 ${ARGS[*]}  (or see the plan with --dry-run)"; fi
  do_uninstall
else
  do_install
fi
