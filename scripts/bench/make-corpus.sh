#!/usr/bin/env bash
# Makes the bench's default corpus (scripts/bench/corpus/): front-desk questions spoken by flite,
# 16 kHz mono 16-bit WAVs with a little silence each side, and corpus.tsv with the reference texts.
# The WAVs are committed (about 60 KB each) so that `kiosk-voice bench` needs nothing from outside
# the package; run this again only to change the questions. Needs flite and sox (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/corpus"

# file, flite voice, text. rms is the voice pocketsphinx (the test model set's recogniser) hears
# best; slt and awb are there so that the corpus is not one voice only. The mix covers the front
# desk's rules path (hours, wifi, directions) and the language model (the story).
QUESTIONS=(
  "opening_hours.wav|rms|what are your opening hours"
  "wifi_password.wav|slt|what is the wifi password"
  "open_on_saturday.wav|rms|are you open on saturday"
  "where_to_park.wav|rms|where can i park my car"
  "tell_me_a_story.wav|awb|tell me a story about a little cat"
  "book_appointment.wav|rms|i would like to book an appointment for tomorrow at ten"
)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
printf 'file\treference\n' > corpus.tsv
for entry in "${QUESTIONS[@]}"; do
  IFS='|' read -r file voice text <<< "$entry"
  flite -voice "$voice" -t "$text" -o "$tmp/$file"
  # -D: round, no dither (pocketsphinx hears dither as words); 0.3 s before, 0.5 s after.
  sox -D "$tmp/$file" -r 16000 -c 1 -b 16 "$file" pad 0.3 0.5
  printf '%s\t%s\n' "$file" "$text" >> corpus.tsv
done
echo "corpus: $(wc -l < corpus.tsv) lines in $(pwd)/corpus.tsv"
