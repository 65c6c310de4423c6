#!/usr/bin/env bash
# Makes the endpointing bench's corpus (scripts/bench/hesitant-corpus/): visitors who stop halfway
# through a request and go on after a pause, beside visitors who ask a whole question in one go.
# 16 kHz mono 16-bit WAVs and corpus.tsv (file, reference, kind, pauseMs). The WAVs are committed
# so the bench needs nothing from outside the package; run this again only to change the requests.
# Needs flite, espeak-ng and sox (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/hesitant-corpus"

# file, voice, first half, pause ms, rest. Each first half stops on a cue a person leaves hanging
# (a preposition, an article, an auxiliary, "um", a verb without its object), so the words so far
# look unfinished; each pause length is used five times so the bench can chart cut-offs by pause.
# rms is the voice pocketsphinx (the test model set's recogniser) hears best, so it has most items.
HESITANT=(
  "slot_on_thursday.wav|rms|could you check if there is a slot on|300|thursday morning"
  "book_for_tomorrow.wav|rms|i would like to book an appointment for|500|tomorrow at ten"
  "what_time_close.wav|rms|what time do you|700|close on friday"
  "somewhere_to_park.wav|slt|is there somewhere i can|900|park my car"
  "printer_shows.wav|rms|my printer shows|300|an error"
  "speak_to_person.wav|awb|can i speak to|500|a person please"
  "where_is_the.wav|rms|where is the|700|toilet"
  "i_need.wav|kal|i need|900|a taxi"
  "wifi_for.wav|rms|is the wifi for|300|guests"
  "here_to_see.wav|espeak|i am here to see|500|doctor smith"
  "sign_in_um.wav|rms|where do i um|700|sign in"
  "story_about.wav|slt|tell me a story about|900|a cat"
  "cancel_my.wav|rms|i want to cancel my|300|booking"
  "have_a_map.wav|awb|do you have a|500|map"
  "help_me_with.wav|rms|can you help me with|700|my badge"
  "change_the_time.wav|kal|can i change the|900|time"
  "open_on_um.wav|espeak|are you open on um|300|sunday"
  "get_to.wav|rms|how do i get to|500|reception"
  "pay_by.wav|slt|can i pay by|700|card"
  "i_lost.wav|rms|i lost|900|my keys"
)

# file, voice, text: whole questions from two to ten words, rules path and language model alike.
COMPLETE=(
  "yes_please.wav|rms|yes please"
  "thank_you.wav|slt|thank you"
  "where_is_reception.wav|rms|where is reception"
  "tell_me_a_story.wav|espeak|tell me a story"
  "need_a_taxi.wav|kal|i need a taxi"
  "opening_hours.wav|rms|what are your opening hours"
  "wifi_password.wav|awb|what is the wifi password"
  "open_on_saturday.wav|rms|are you open on saturday"
  "where_to_park.wav|rms|where can i park my car"
  "close_on_friday.wav|rms|what time do you close on friday"
  "book_at_ten.wav|slt|can i book a slot at ten tomorrow"
  "see_doctor_smith.wav|rms|i would like to see doctor smith at two today"
)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Speaks $3 with voice $1 into $2 as 16 kHz mono 16-bit, its own edge silence trimmed, so that the
# lead-in, the tail and the pause between halves are exactly what this script pads in.
speak() {
  local voice="$1" out="$2" text="$3" raw="$tmp/raw.wav"
  if [[ "$voice" == espeak ]]; then
    espeak-ng -v en-us -w "$raw" "$text"
  else
    # A little quicker than flite's own pace keeps the folder near 2.5 MB; pocketsphinx made about
    # as many word errors on this corpus at 0.8 as at 1.0.
    flite -voice "$voice" --setf duration_stretch=0.8 -t "$text" -o "$raw"
  fi
  # -D: round, no dither (pocketsphinx hears dither as words). The synthesisers start and end on
  # a low hum that is not speech: -50 dB from either end is cut.
  sox -D "$raw" -r 16000 -c 1 -b 16 "$out" silence 1 0.01 -50d reverse silence 1 0.01 -50d reverse
}

printf 'file\treference\tkind\tpauseMs\n' > corpus.tsv
for entry in "${HESITANT[@]}"; do
  IFS='|' read -r file voice first pause rest <<< "$entry"
  speak "$voice" "$tmp/first.wav" "$first"
  speak "$voice" "$tmp/rest.wav" "$rest"
  # Digital silence, 16 samples a millisecond, so the gap is exactly pauseMs. The rate goes before
  # -n, or sox makes the silence at 48 kHz and resamples it; -D, or it dithers the "silence".
  sox -D -r 16000 -c 1 -n -b 16 "$tmp/gap.wav" trim 0 "$((pause * 16))s"
  sox -D "$tmp/first.wav" "$tmp/gap.wav" "$tmp/rest.wav" "$file" pad 0.3 0.6
  printf '%s\t%s %s\thesitant\t%s\n' "$file" "$first" "$rest" "$pause" >> corpus.tsv
done
for entry in "${COMPLETE[@]}"; do
  IFS='|' read -r file voice text <<< "$entry"
  speak "$voice" "$tmp/whole.wav" "$text"
  sox -D "$tmp/whole.wav" "$file" pad 0.3 0.6
  printf '%s\t%s\tcomplete\t\n' "$file" "$text" >> corpus.tsv
done
echo "hesitant corpus: $(($(wc -l < corpus.tsv) - 1)) items, $(du -sh . | cut -f1) in $(pwd)"
