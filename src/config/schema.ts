import { z } from 'zod';
import { deviceIdSchema, mqttSchema } from './mqttSchema.js';
import { siteSchema, storageSchema } from './siteSchema.js';

/**
 * The one place where every setting is declared with its type, default and allowed values.
 * File paths to model files are resolved against `models.dir` unless absolute.
 */

const seconds = (min: number, max: number) => z.number().min(min).max(max);
const threads = z.number().int().min(1).max(16);

/**
 * Length caps for strings: a setting is read once but some are used on every turn (a device name is
 * matched against every device, a reply is spoken), so a pasted megabyte must not get that far.
 */
export const MAX_LENGTH = {
  /** ALSA PCM names and device-name substrings. */
  device: 256,
  /** File and directory paths (Linux PATH_MAX). */
  path: 4096,
  /** Short names: voices, gpiochip names, model-file roles. */
  name: 128,
  /** Anything the kiosk says: replies, the apology, the acknowledgement. */
  reply: 1000,
  /** A phrase a dialog rule matches. */
  phrase: 200,
  /** The LLM's system prompt. */
  systemPrompt: 8000,
} as const;

const path = z.string().min(1).max(MAX_LENGTH.path);
const device = z.string().min(1).max(MAX_LENGTH.device);
const name = z.string().min(1).max(MAX_LENGTH.name);
const reply = z.string().min(1).max(MAX_LENGTH.reply);
/** Model files by role (role name → path). */
const filesByRole = z
  .record(z.string().min(1).max(MAX_LENGTH.name), path)
  .refine((files) => Object.keys(files).length <= 32, { message: 'at most 32 model files by role' });

export const vadSchema = z.strictObject({
  /** Silero VAD ONNX file (v5 or v6). */
  model: path.default('vad/silero_vad_v5.onnx'),
  /** Speech probability above which a window counts as voiced. */
  threshold: z.number().gt(0).lt(1).default(0.5),
  /** Silence that ends an utterance. Shorter answers sooner but cuts slow speakers off. */
  minSilenceSeconds: seconds(0.05, 3).default(0.4),
  /** Voiced stretches shorter than this are ignored (coughs, clicks). */
  minSpeechSeconds: seconds(0.05, 3).default(0.25),
  /** An utterance is cut here even if the speaker goes on. */
  maxSpeechSeconds: seconds(1, 60).default(20),
  threads: threads.default(1),
});

export const pocketsphinxSchema = z.strictObject({
  /** The Python with Debian's pocketsphinx module (python3-pocketsphinx). */
  python: path.default('/usr/bin/python3'),
  hmm: path.default('/usr/share/pocketsphinx/model/en-us/en-us'),
  lm: path.default('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin'),
  dict: path.default('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'),
});

export const sherpaOnlineAsrSchema = z.strictObject({
  encoder: path.default('asr/encoder.int8.onnx'),
  decoder: path.default('asr/decoder.int8.onnx'),
  joiner: path.default('asr/joiner.int8.onnx'),
  tokens: path.default('asr/tokens.txt'),
  /** A partial transcript is published at least this often while speech goes on. */
  partialIntervalMs: z.number().int().min(20).max(1000).default(100),
  threads: threads.default(2),
});

export const sherpaOfflineAsrSchema = z.strictObject({
  kind: z.enum(['moonshine', 'whisper', 'sense-voice', 'nemo-ctc', 'transducer']).default('moonshine'),
  /** Model files by role; which roles are needed depends on `kind` (see README, "Model sets"). */
  files: filesByRole.default({}),
  tokens: path.default('asr/tokens.txt'),
  threads: threads.default(2),
});

export const asrSchema = z.strictObject({
  backend: z.enum(['pocketsphinx', 'sherpa-online', 'sherpa-offline']).default('pocketsphinx'),
  /** Audio kept before and after each VAD segment; recognisers clip the first phoneme without it. */
  segmentPaddingSeconds: seconds(0, 1).default(0.25),
  pocketsphinx: pocketsphinxSchema.prefault({}),
  sherpaOnline: sherpaOnlineAsrSchema.prefault({}),
  sherpaOffline: sherpaOfflineAsrSchema.prefault({}),
});

export const llmSchema = z.strictObject({
  /** GGUF file. */
  model: path.default('llm/stories260K.gguf'),
  /** CPU threads. Set it: node-llama-cpp's default oversubscribes small machines badly. */
  threads: threads.default(2),
  contextSize: z.number().int().min(256).max(32768).default(2048),
  maxTokens: z.number().int().min(1).max(2048).default(96),
  temperature: z.number().min(0).max(2).default(0),
  systemPrompt: z
    .string()
    .min(1)
    .max(MAX_LENGTH.systemPrompt)
    .default(
      'You are the voice of a front-desk kiosk. Answer in one or two short spoken sentences. ' +
        'Never use lists, markdown or emoji.',
    ),
  /**
   * Exchanges kept when the context runs over 60 % full. Trimming happens after a reply, while
   * the visitor listens, so no question waits for it.
   */
  historyTurns: z.number().int().min(0).max(20).default(2),
  /** Feed stable partial transcripts to the model while the visitor is still speaking. */
  preloadPartials: z.boolean().default(true),
});

export const espeakSchema = z.strictObject({
  binary: path.default('espeak-ng'),
  voice: name.default('en-us'),
  /** Words per minute. */
  rate: z.number().int().min(80).max(450).default(170),
});

export const sherpaTtsSchema = z.strictObject({
  kind: z.enum(['vits', 'kokoro', 'kitten', 'matcha']).default('vits'),
  /** Model files by role (model, tokens, dataDir, voices, lexicon, acousticModel, vocoder). */
  files: filesByRole.default({}),
  speakerId: z.number().int().min(0).default(0),
  speed: z.number().min(0.5).max(2).default(1),
  threads: threads.default(2),
});

export const ttsSchema = z.strictObject({
  backend: z.enum(['espeak-ng', 'sherpa']).default('espeak-ng'),
  espeak: espeakSchema.prefault({}),
  sherpa: sherpaTtsSchema.prefault({}),
});

export const captureSchema = z.strictObject({
  /** `auto` tries naudiodon (PortAudio in a child process), then arecord. */
  backend: z.enum(['auto', 'naudiodon', 'arecord']).default('auto'),
  /**
   * An ALSA PCM (`default`, `plughw:CARD=ArrayUAC10,DEV=0`, a name from ~/.asoundrc) or a
   * case-insensitive substring of a device name as `kiosk-voice devices` lists it. Never an index.
   */
  device: device.default('default'),
  /** The rate the device is opened at; audio is resampled to 16 kHz. */
  sampleRate: z.number().int().min(8000).max(192000).default(16000),
  /** Channels the device is opened with (a mic array has 2–8). */
  channels: z.number().int().min(1).max(32).default(1),
  /** Which channels (0-based) feed the pipeline, averaged; empty means all of them. */
  useChannels: z.array(z.number().int().min(0).max(31)).max(32).default([]),
  gainDb: z.number().min(-20).max(40).default(0),
  /** High-pass out the DC offset many USB mics have; it biases the VAD. */
  removeDc: z.boolean().default(true),
  /** Audio per capture read: 20–40 ms keeps latency low without waking too often. */
  chunkMs: z.number().int().min(10).max(100).default(20),
  /** No audio for this long means the device stalled: it is reopened. */
  stallTimeoutMs: z.number().int().min(200).max(30000).default(1000),
  /** First wait before reopening a failed device; it doubles up to `maxReopenDelayMs`. */
  reopenDelayMs: z.number().int().min(50).max(10000).default(250),
  maxReopenDelayMs: z.number().int().min(100).max(120000).default(5000),
  /** With `auto`, naudiodon failures in a row before falling back to arecord for good. */
  naudiodonFailuresBeforeFallback: z.number().int().min(1).max(20).default(3),
});

export const playbackSchema = z.strictObject({
  /** `auto` tries naudiodon, then aplay. */
  backend: z.enum(['auto', 'naudiodon', 'aplay']).default('auto'),
  /** An ALSA PCM or a substring of a device name, as for capture. */
  device: device.default('default'),
  /** Linear gain applied to the agent's voice, 0 (mute) to 2. */
  volume: z.number().min(0).max(2).default(1),
  /**
   * Audio handed to the player ahead of what is playing. More rides out a busy moment; less makes
   * a barge-in stop sooner, since what the player already holds still plays.
   */
  leadMs: z.number().int().min(20).max(500).default(50),
});

export const audioSchema = z.strictObject({
  capture: captureSchema.prefault({}),
  playback: playbackSchema.prefault({}),
  /**
   * Keep listening while the agent speaks. Only with hardware echo cancellation: otherwise the
   * agent hears itself. Off (half-duplex) by default.
   */
  fullDuplex: z.boolean().default(false),
});

export const chunkerSchema = z.strictObject({
  /** The first phrase leaves at a clause boundary once it has this many words… */
  firstPhraseMinWords: z.number().int().min(1).max(20).default(3),
  /** …or at any word boundary once it has this many, so speech starts early. */
  firstPhraseMaxWords: z.number().int().min(2).max(40).default(8),
  /** Later phrases leave at sentence ends, or at a clause boundary past this many words. */
  laterPhraseMaxWords: z.number().int().min(4).max(80).default(24),
});

export const ruleSchema = z.strictObject({
  /** The rule fires when the transcript contains any of these phrases (case-insensitive). */
  match: z.array(z.string().min(1).max(MAX_LENGTH.phrase)).min(1).max(50),
  reply,
});

export const dialogSchema = z.strictObject({
  /**
   * Exact answers: a phrase contained in the transcript → a fixed reply. Checked before the site's
   * intents (hours, FAQ, booking…), so an operator can always override one.
   */
  rules: z.array(ruleSchema).max(500).default([]),
  /**
   * How the language model uses the front-desk tools (free slots, booking, messages, FAQ…):
   * `functions` lets an instruct model call them while it answers (node-llama-cpp function
   * calling); `grammar` makes every question the rules do not answer one grammar-forced tool call,
   * for models too small to call functions; `off` lets the model only talk.
   */
  llmTools: z.enum(['functions', 'grammar', 'off']).default('functions'),
  /** Spoken when the model fails or is too slow, so a visitor is never left in silence. */
  fallbackReply: reply.default("Sorry, I can't answer that right now. Please ask at the front desk."),
  /** Spoken when speech was heard but no words were recognised. */
  notUnderstoodReply: reply.default('Sorry, I did not catch that. Could you say it again?'),
});

/** BCM pin number of a GPIO line (0–27 on a Raspberry Pi header). */
const bcmPin = z.number().int().min(0).max(53);

export const ledsSchema = z.strictObject({
  /**
   * One pin per LED. `status` alone shows every state with one LED; `red`/`green`/`blue` make an
   * RGB set whose colour changes per state. Any combination may be given.
   */
  status: bcmPin.optional(),
  red: bcmPin.optional(),
  green: bcmPin.optional(),
  blue: bcmPin.optional(),
  /** Follows the microphone gate itself: lit whenever audio reaches the ears. */
  micLive: bcmPin.optional(),
  /** The LEDs light when the pin is driven low (common-anode wiring). */
  activeLow: z.boolean().default(false),
});

export const buttonSchema = z.strictObject({
  /** BCM pin of the push button; no button when absent. */
  pin: bcmPin.optional(),
  /** The button pulls the line low when pressed (wired to ground with a pull-up), the usual wiring. */
  activeLow: z.boolean().default(true),
  /** Edges closer together than this are contact bounce and ignored. */
  debounceMs: z.number().int().min(0).max(500).default(30),
  /** Held at least this long: push-to-talk (listen while held; the turn ends on release). */
  holdMs: z.number().int().min(100).max(2000).default(400),
  /** Held at least this long: cancel everything and wipe the visitor session. */
  longPressMs: z.number().int().min(1000).max(15000).default(3000),
  /** A second press within this long after a tap's release is a double tap (repeat the last answer). */
  doubleTapMs: z.number().int().min(100).max(1000).default(350),
});

export const gpioSchema = z.strictObject({
  /**
   * `auto`: the libgpiod tools when `gpioset`/`gpiomon` are on PATH and a gpiochip exists, else
   * onoff when /sys/class/gpio exists, else none. `none` runs without GPIO.
   */
  backend: z.enum(['auto', 'onoff', 'gpiod', 'none']).default('auto'),
  /** The gpiochip the header pins are on (gpiod backend): a name, a path or a label. */
  chip: name.default('gpiochip0'),
  /** Where sysfs GPIO lives (onoff backend); tests point it at a temp tree. */
  sysfsRoot: path.default('/sys/class/gpio'),
  button: buttonSchema.prefault({}),
  leds: ledsSchema.prefault({}),
});

export const hwSchema = z.strictObject({
  gpio: gpioSchema.prefault({}),
});

export const earconsSchema = z.strictObject({
  /** A short chime when the kiosk starts listening, and a low tone on an error. */
  enabled: z.boolean().default(true),
  /** Loudness of the generated tones, 0–1 of full scale. */
  volume: z.number().min(0).max(1).default(0.3),
  /** WAV files to play instead of the generated tones. */
  listeningFile: path.optional(),
  errorFile: path.optional(),
});

export const wakeSchema = z.strictObject({
  /**
   * sherpa-onnx keyword-spotter model files by role (encoder, decoder, joiner, tokens, bpe);
   * the wake phrase is off while none is configured.
   */
  files: filesByRole.default({}),
  /** The phrases that start a turn, tokenised with the model's BPE at start. */
  phrases: z.array(z.string().min(1).max(64)).min(1).max(50).default(['hey kiosk']),
  /** Detection threshold: higher means fewer false wakes and more misses. */
  threshold: z.number().gt(0).lt(1).default(0.25),
  /** Boost for the phrase's tokens: higher makes it easier to trigger. */
  score: z.number().min(0).max(10).default(1.5),
  threads: threads.default(1),
});

const silenceMs = (min: number) => z.number().int().min(min).max(5000);

/**
 * End of turn: how much silence ends the visitor's turn. `fixed` waits `vad.minSilenceSeconds`
 * after every utterance (the old behaviour, and the bench's baseline). `lexical` and `llm` judge the
 * words so far at every pause of `pauseMs` and wait little after a finished question, long after an
 * unfinished phrase ("is there a slot on …"), never more than `maxSilenceMs`.
 */
export const endpointingSchema = z.strictObject({
  /** `lexical`: rules on the transcript and the front desk's intents (any model); `llm`: the brain's model's end-of-turn probability. */
  backend: z.enum(['fixed', 'lexical', 'llm']).default('lexical'),
  /** A pause this long is where the words so far are judged (and the reply speculated). */
  pauseMs: z.number().int().min(60).max(1000).default(150),
  /** Silence that ends a turn that looks finished. */
  completeSilenceMs: silenceMs(60).default(220),
  /** Silence that ends a turn the detector is unsure of: by default the fixed baseline's 0.4 s, so an unsure turn is no slower than before. */
  unsureSilenceMs: silenceMs(60).default(400),
  /** Silence that ends a turn that looks unfinished (a trailing "on", "the", "um"). */
  unfinishedSilenceMs: silenceMs(60).default(1100),
  /** The turn ends after this much silence whatever the detector says (or while it has not answered). */
  maxSilenceMs: silenceMs(60).default(1500),
  /** `llm`: at or above this probability of the end-of-turn token the words are finished. */
  llmCompleteAbove: z.number().gt(0).lt(1).default(0.5),
  /** `llm`: below this they are unfinished; in between, unsure. */
  llmUnfinishedBelow: z.number().gt(0).lt(1).default(0.1),
  /**
   * Start the reply at the pause, into a held buffer: played at once when the turn ends with the
   * same words, thrown away (with the model's context as it was) when the visitor goes on.
   */
  speculate: z.boolean().default(true),
});

export const turnSchema = z.strictObject({
  /**
   * What starts a turn: `button`, `wake` (the wake phrase), `button+wake`, or `open-mic` (every
   * utterance). Default: `button` when a button pin is configured, otherwise `open-mic`.
   */
  trigger: z.enum(['button', 'wake', 'button+wake', 'open-mic']).optional(),
  /** After an answer, keep listening this long for a follow-up without a new trigger; 0 turns it off. */
  followUpSeconds: seconds(0, 60).default(6),
  /** Listening with no speech for this long ends the turn quietly. */
  listenTimeoutSeconds: seconds(1, 60).default(8),
  /** What interrupts the agent while it speaks: the button only, or the visitor's voice too (needs `audio.fullDuplex`). */
  bargeIn: z.enum(['button', 'voice']).default('button'),
  /** The mic stays closed this long after the agent stops speaking (half-duplex), while the room's echo dies. */
  echoTailMs: z.number().int().min(0).max(2000).default(250),
  /** If the reply's first audio has not started after this long, a short acknowledgement plays. */
  acknowledgeAfterMs: z.number().int().min(200).max(10000).default(1200),
  acknowledgement: reply.default('One moment.'),
  /** Give up on the model and speak the fallback reply after this long without a first token. */
  firstTokenTimeoutMs: z.number().int().min(100).max(60000).default(5000),
  /** Spoken when a stage fails or the turn runs over its limit. */
  apology: reply.default("Sorry, something went wrong. Please try again."),
  /** A turn that has not finished after this long is ended, so a hung engine can never leave the kiosk deaf. */
  maxTurnSeconds: seconds(5, 600).default(60),
  /** The error pattern shows this long before the kiosk is idle again. */
  errorSeconds: seconds(0.2, 30).default(2),
  /** After this long with no turn the visitor is gone: the conversation is forgotten (privacy). */
  sessionIdleSeconds: seconds(5, 3600).default(45),
  /** Muted (by an operator) for at most this long; then the kiosk listens again. */
  maxMutedSeconds: seconds(1, 86400).default(3600),
  earcons: earconsSchema.prefault({}),
  wake: wakeSchema.prefault({}),
  endpointing: endpointingSchema.prefault({}),
});

/**
 * The LLM context holds the system prompt, the kept history and the turn in progress. The engine
 * trims the history once the context is past this share (LlamaChatEngine's COMPACT_AT), so a
 * reply can count only on the rest.
 */
export const LLM_HISTORY_SHARE = 0.6;
/** Tokens kept free for the visitor's question and the chat template around it. */
export const LLM_QUESTION_RESERVE_TOKENS = 64;

/** The largest `llm.maxTokens` a context of `contextSize` tokens can take: 40 % of it, less the question. */
export function maxReplyTokens(contextSize: number): number {
  return Math.floor(contextSize * (1 - LLM_HISTORY_SHARE) + 1e-9) - LLM_QUESTION_RESERVE_TOKENS;
}

/** The smallest `llm.contextSize` that fits a reply of `maxTokens`. */
export function minContextSize(maxTokens: number): number {
  let size = Math.ceil((maxTokens + LLM_QUESTION_RESERVE_TOKENS) / (1 - LLM_HISTORY_SHARE) - 1e-6);
  while (maxReplyTokens(size) < maxTokens) size += 1;
  return size;
}

/**
 * A cross-field issue: `path` is the setting reported, `related` the other setting(s) it was
 * checked against (loadConfig names the layer each came from).
 */
export interface CrossFieldParams {
  crossField: true;
  related: (string | number)[][];
}

/** Settings that are each valid but contradict one another; one message per contradiction. */
function checkCrossFieldLimits(config: z.output<typeof configShape>, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], related: (string | number)[], message: string) => {
    const params: CrossFieldParams = { crossField: true, related: [related] };
    ctx.addIssue({ code: 'custom', path, message, params });
  };
  const { vad, chunker, llm } = config;
  const endpointing = config.turn.endpointing;
  const silences = ['pauseMs', 'completeSilenceMs', 'unsureSilenceMs', 'unfinishedSilenceMs', 'maxSilenceMs'] as const;
  for (const [i, name] of silences.entries()) {
    const next = silences[i + 1];
    if (next === undefined || endpointing[name] <= endpointing[next]) continue;
    issue(['turn', 'endpointing', name], ['turn', 'endpointing', next], `${endpointing[name]} must not be more than turn.endpointing.${next} (${endpointing[next]}): the silences go pause ≤ complete ≤ unsure ≤ unfinished ≤ max`);
  }
  if (endpointing.llmUnfinishedBelow > endpointing.llmCompleteAbove) {
    issue(['turn', 'endpointing', 'llmUnfinishedBelow'], ['turn', 'endpointing', 'llmCompleteAbove'], `${endpointing.llmUnfinishedBelow} must not be more than turn.endpointing.llmCompleteAbove (${endpointing.llmCompleteAbove})`);
  }
  if (vad.minSpeechSeconds >= vad.maxSpeechSeconds) {
    issue(
      ['vad', 'minSpeechSeconds'],
      ['vad', 'maxSpeechSeconds'],
      `${vad.minSpeechSeconds} must be below vad.maxSpeechSeconds (${vad.maxSpeechSeconds}), or no utterance is ever long enough to keep`,
    );
  }
  if (chunker.firstPhraseMinWords > chunker.firstPhraseMaxWords) {
    issue(
      ['chunker', 'firstPhraseMinWords'],
      ['chunker', 'firstPhraseMaxWords'],
      `${chunker.firstPhraseMinWords} must not be more than chunker.firstPhraseMaxWords (${chunker.firstPhraseMaxWords})`,
    );
  }
  const { capture } = config.audio;
  if (capture.reopenDelayMs > capture.maxReopenDelayMs) {
    issue(
      ['audio', 'capture', 'reopenDelayMs'],
      ['audio', 'capture', 'maxReopenDelayMs'],
      `${capture.reopenDelayMs} must not be more than audio.capture.maxReopenDelayMs (${capture.maxReopenDelayMs})`,
    );
  }
  const { button } = config.hw.gpio;
  if (button.holdMs >= button.longPressMs) {
    issue(
      ['hw', 'gpio', 'button', 'holdMs'],
      ['hw', 'gpio', 'button', 'longPressMs'],
      `${button.holdMs} must be below hw.gpio.button.longPressMs (${button.longPressMs}), or a long press cuts every push-to-talk short`,
    );
  }
  const limit = maxReplyTokens(llm.contextSize);
  if (llm.maxTokens > limit) {
    issue(
      ['llm', 'maxTokens'],
      ['llm', 'contextSize'],
      `${llm.maxTokens} does not fit llm.contextSize (${llm.contextSize}): a reply may use at most ${Math.max(0, limit)} tokens there ` +
        `(${Math.round((1 - LLM_HISTORY_SHARE) * 100)} % of the context, less ${LLM_QUESTION_RESERVE_TOKENS} for the question); ` +
        `lower llm.maxTokens or raise llm.contextSize to at least ${minContextSize(llm.maxTokens)}`,
    );
  }
}

const configShape = z.strictObject({
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: journald priorities under systemd, JSON on stderr otherwise; pretty: for a terminal. */
  logFormat: z.enum(['auto', 'json', 'journal', 'pretty']).default('auto'),
  /** How often `run` logs its health snapshot (state, mic, workers, memory, event-loop lag). */
  healthLogSeconds: z.number().int().min(1).max(86_400).default(300),
  models: z
    .strictObject({
      /** Where model files live; relative model paths are resolved against it. */
      dir: path.default('models'),
    })
    .prefault({}),
  audio: audioSchema.prefault({}),
  vad: vadSchema.prefault({}),
  asr: asrSchema.prefault({}),
  llm: llmSchema.prefault({}),
  tts: ttsSchema.prefault({}),
  chunker: chunkerSchema.prefault({}),
  dialog: dialogSchema.prefault({}),
  turn: turnSchema.prefault({}),
  hw: hwSchema.prefault({}),
  /** The front desk: hours, services, FAQ, guides (src/config/siteSchema.ts). */
  site: siteSchema.prefault({}),
  storage: storageSchema.prefault({}),
  /** Names this kiosk in MQTT topics and Home Assistant. Default: the hostname, reduced to letters, digits, "-" and "_". */
  deviceId: deviceIdSchema.optional(),
  /** Telemetry, health and remote management over MQTT (src/config/mqttSchema.ts); off while `mqtt.url` is unset. */
  mqtt: mqttSchema.prefault({}),
});

/** Every setting, each checked on its own and then against the settings it must agree with. */
export const configSchema = configShape.superRefine(checkCrossFieldLimits);

export type KioskConfig = z.infer<typeof configSchema>;
/** What a config file or an override may contain: any subset of the settings. */
export type KioskConfigInput = z.input<typeof configSchema>;
