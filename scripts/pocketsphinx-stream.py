#!/usr/bin/python3
"""Streaming speech recognition with Debian's pocketsphinx, kept loaded between utterances.

kiosk-voice runs this as a child process (src/engines/asr/PocketsphinxAsr.ts). Requests on stdin
are a command byte and a 4-byte little-endian payload length, then the payload:
  S  start utterance n       (payload: n as a 4-byte little-endian unsigned integer)
  A  audio, 16 kHz mono s16le
  E  end utterance n         (payload: n, as for S)
Replies on stdout are JSON lines: {"ready": true} once loaded, {"u": n, "partial": text} when the
hypothesis of utterance n changed, {"u": n, "final": text} for each E, {"error": text} on failure
({"error": text, "model": true} when the decoder refused its model files).
While the decoder loads, its own log goes to stderr: it names each model file as it reads it, so
when a damaged file makes it fail, or crash with no word, the parent can say which file it was.
The parent issues the utterance ids, so a restarted recogniser answers under the parent's ids
rather than counting again from 1 (which made every later answer belong to an older question).
An S without an id numbers utterances on from the last one.
Usage: pocketsphinx-stream.py HMM_DIR LM_FILE DICT_FILE
"""
import json
import os
import struct
import sys

PARTIAL_EVERY_BYTES = 3200  # re-read the hypothesis every 100 ms of audio


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def silence_decoder_log():
    """Sends the decoder's log (fd 2 in C) to /dev/null from now on: it writes lines for every
    utterance. Python's own errors keep going to the parent, through a copy of the old fd 2."""
    parent = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    sys.stderr = os.fdopen(parent, "w", buffering=1)


def utterance_id(payload, default):
    """The id the parent sent with S or E, or `default` when it sent none."""
    return struct.unpack("<I", payload[:4])[0] if len(payload) >= 4 else default


def main():
    try:
        from pocketsphinx import pocketsphinx as ps
    except ImportError:
        reply({"error": "the pocketsphinx Python module is missing"})
        return 3
    hmm, lm, dictionary = sys.argv[1:4]
    config = ps.Decoder.default_config()
    config.set_string("-hmm", hmm)
    config.set_string("-lm", lm)
    config.set_string("-dict", dictionary)
    try:
        decoder = ps.Decoder(config)
    except Exception as error:  # the C library reports bad model files this way; its log says why
        reply({"error": "cannot load the pocketsphinx model: %s" % error, "model": True})
        return 4
    silence_decoder_log()
    reply({"ready": True})

    stdin = sys.stdin.buffer
    utterance = 0
    in_utterance = False
    since_partial = 0
    last_partial = ""
    while True:
        header = stdin.read(5)
        if len(header) < 5:
            return 0
        command, length = header[:1], struct.unpack("<I", header[1:])[0]
        payload = stdin.read(length) if length else b""
        if command == b"S":
            if in_utterance:
                decoder.end_utt()
            utterance = utterance_id(payload, utterance + 1)
            decoder.start_utt()
            in_utterance, since_partial, last_partial = True, 0, ""
        elif command == b"A" and in_utterance:
            decoder.process_raw(payload, False, False)
            since_partial += len(payload)
            if since_partial >= PARTIAL_EVERY_BYTES:
                since_partial = 0
                hyp = decoder.hyp()
                text = hyp.hypstr if hyp else ""
                if text and text != last_partial:
                    last_partial = text
                    reply({"u": utterance, "partial": text})
        elif command == b"E":
            utterance = utterance_id(payload, utterance)
            text = ""
            if in_utterance:
                decoder.end_utt()
                hyp = decoder.hyp()
                text = hyp.hypstr if hyp else ""
            in_utterance = False
            reply({"u": utterance, "final": text})


if __name__ == "__main__":
    sys.exit(main())
