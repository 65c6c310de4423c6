#!/usr/bin/env bash
# Answers a recorded question with the test model set and writes the spoken reply to reply.wav.
# The question is played at the pace of a live microphone, so the latencies are what a visitor gets.
# The question is the shared fixture when ../shared/models is here; otherwise flite speaks one.
set -euo pipefail
cd "$(dirname "$0")/.."

mirror="${KIOSK_MODELS_MIRROR:-../shared/models}"
question="$mirror/audio/flite_rms_opening_hours.wav"
if [ ! -f "$question" ]; then
  question="$(mktemp --suffix=.wav)"
  flite -voice rms -t "What are your opening hours?" -o "$question.22k.wav"
  # Rounded, not dithered: pocketsphinx hears dither as words.
  sox -D "$question.22k.wav" -r 16000 -c 1 -b 16 "$question" pad 1 1
  rm -f "$question.22k.wav"
fi
echo "question: $question"
node dist/cli.js demo --models test --input "$question" --output reply.wav --realtime "$@"
echo "play it with: aplay reply.wav"
