#!/usr/bin/env bash
# One-time setup on Debian / Raspberry Pi OS: system packages, npm dependencies, build, test models.
# Safe to run again. Uses sudo for apt when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

# espeak-ng, python3-pocketsphinx (+ English model), flite and sox: the test model set's real engines;
# alsa-utils: arecord/aplay; pv: paces the fake microphone in the audio tests;
# python3-onnx/numpy: tiny ONNX models for the sherpa adapter tests; bzip2: model archives;
# the linter shellcheck for the shell scripts; systemd: systemd-analyze verifies and rates the unit;
# mosquitto (+ openssl for its test certificates): the real MQTT broker the MQTT tests start;
# openssh-server + openssh-client: the real sshd the SSH bench tests start; chromium: opens the bench report headless.
APT_PACKAGES=(espeak-ng espeak-ng-data python3-pocketsphinx pocketsphinx-en-us flite sox alsa-utils pv bzip2 python3-onnx python3-numpy shellcheck systemd mosquitto openssl openssh-server openssh-client chromium)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install`, not `npm ci`: the registry may lack node-llama-cpp's prebuilt packages for other
  # platforms, so the lock cannot list them and `npm ci` refuses. Versions still come from the lock.
  npm install --no-audit --no-fund
fi
npm run build --silent

# The small test models: copied from KIOSK_MODELS_MIRROR (default: ../shared/models, when it is
# there), downloaded otherwise.
if [ -z "${KIOSK_MODELS_MIRROR:-}" ] && [ -d ../shared/models ]; then
  KIOSK_MODELS_MIRROR="$(cd ../shared/models && pwd)"
  export KIOSK_MODELS_MIRROR
fi
node dist/cli.js models fetch --set test
