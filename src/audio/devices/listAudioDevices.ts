import { execFile } from 'node:child_process';
import { KioskVoiceError } from '../../errors.js';
import { meaningfulStderr, spawnNodeChild } from '../spawnNodeChild.js';
import type { PortAudioDevice } from './matchDevice.js';
import type { PortAudioListReport } from './portAudioDevicesChild.js';

/** A device list could not be had (naudiodon crashed, alsa-utils missing). */
export class AudioDeviceListError extends KioskVoiceError {}

/** A PCM as `aplay -L` / `arecord -L` list it: what `-D` and `audio.*.device` accept. */
export interface AlsaPcm {
  name: string;
  /** The indented lines under the name, joined; empty when ALSA gives none. */
  description: string;
}

/** A sound card's device as `aplay -l` / `arecord -l` list it. */
export interface AlsaCardDevice {
  card: number;
  /** The card's id, as in `plughw:CARD=<id>,DEV=<device>`. */
  cardId: string;
  cardName: string;
  device: number;
  deviceName: string;
}

export interface AlsaDeviceList {
  pcms: AlsaPcm[];
  cards: AlsaCardDevice[];
}

/** Everything `kiosk-voice devices` shows; a source that failed carries its error instead. */
export interface AudioDeviceList {
  portAudio: { devices: PortAudioDevice[]; error?: string };
  alsa: {
    capture: AlsaDeviceList & { error?: string };
    playback: AlsaDeviceList & { error?: string };
  };
}

export interface ListOptions {
  /** Environment for the children (ALSA reads `$HOME/.asoundrc`). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** PortAudio's devices, listed in a child process (see portAudioDevicesChild.ts). */
export function listPortAudioDevices(options: ListOptions = {}): Promise<PortAudioDevice[]> {
  const { env = process.env, timeoutMs = 15_000 } = options;
  return new Promise((resolve, reject) => {
    const child = spawnNodeChild(import.meta.url, 'portAudioDevicesChild', [], ['ignore', 'ignore', 'pipe', 'ipc'], env);
    let stderr = '';
    let answer: PortAudioListReport | undefined;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => (stderr = (stderr + text).slice(-8192)));
    child.on('message', (message: PortAudioListReport) => (answer = message));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new AudioDeviceListError(`could not start the PortAudio device lister: ${error.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.type === 'devices') return resolve(answer.devices);
      const why = answer?.message || meaningfulStderr(stderr) || (signal ? `killed by ${signal}` : `exit code ${code}`);
      reject(new AudioDeviceListError(`PortAudio could not list devices: ${why}`, 'check that naudiodon is installed (`npm rebuild naudiodon`); arecord/aplay still work without it'));
    });
  });
}

/** ALSA's view through alsa-utils: PCM names (`-L`) and sound cards (`-l`); both may be empty. */
export async function listAlsaDevices(direction: 'capture' | 'playback', options: ListOptions = {}): Promise<AlsaDeviceList> {
  const tool = direction === 'capture' ? 'arecord' : 'aplay';
  const [pcms, cards] = await Promise.all([runTool(tool, ['-L'], options), runTool(tool, ['-l'], options)]);
  return { pcms: parsePcmList(pcms), cards: parseCardList(cards) };
}

/** PortAudio's and ALSA's lists together; a source that fails is reported, not fatal. */
export async function listAudioDevices(options: ListOptions = {}): Promise<AudioDeviceList> {
  const alsa = async (direction: 'capture' | 'playback') =>
    listAlsaDevices(direction, options).catch((error: unknown) => ({ pcms: [], cards: [], error: messageOf(error) }));
  const [portAudio, capture, playback] = await Promise.all([
    listPortAudioDevices(options).then(
      (devices) => ({ devices }),
      (error: unknown) => ({ devices: [], error: messageOf(error) }),
    ),
    alsa('capture'),
    alsa('playback'),
  ]);
  return { portAudio, alsa: { capture, playback } };
}

/** `aplay -L`: a name at the start of a line, its description indented below it. */
export function parsePcmList(text: string): AlsaPcm[] {
  const pcms: AlsaPcm[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const last = pcms[pcms.length - 1];
    if (/^\s/.test(line) && last) last.description = last.description ? `${last.description}; ${line.trim()}` : line.trim();
    else if (!/^\s/.test(line)) pcms.push({ name: line.trim(), description: '' });
  }
  return pcms;
}

/** `aplay -l`: `card 1: ArrayUAC10 [ReSpeaker 4 Mic Array (UAC1.0)], device 0: USB Audio [USB Audio]`. */
export function parseCardList(text: string): AlsaCardDevice[] {
  const cards: AlsaCardDevice[] = [];
  for (const line of text.split('\n')) {
    const m = /^card (\d+): (\S+) \[(.*)\], device (\d+): (.*?)(?: \[(.*)\])?$/.exec(line.trim());
    if (m) cards.push({ card: Number(m[1]), cardId: m[2]!, cardName: m[3]!, device: Number(m[4]), deviceName: m[6] ?? m[5]! });
  }
  return cards;
}

function runTool(tool: string, args: string[], options: ListOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? 15_000 }, (error, stdout) => {
      if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
        return reject(new AudioDeviceListError(`${tool} is not installed`, 'apt-get install alsa-utils'));
      }
      // With no sound card `-l` complains on stderr and still exits 0; any other failure is real.
      if (error) return reject(new AudioDeviceListError(`${tool} ${args.join(' ')} failed: ${error.message.split('\n')[0]}`));
      resolve(stdout);
    });
  });
}

function messageOf(error: unknown): string {
  return error instanceof KioskVoiceError ? error.toUserLine() : error instanceof Error ? error.message : String(error);
}

/**
 * The listed PCM a configured name means, as aplay/arecord would open it: the name itself when
 * listed, else the one PCM whose name or description contains it (case-insensitive) — preferring
 * `plughw:`, which converts rate and format, when a card offers several. Never an index.
 */
export function matchAlsaPcm(pcms: AlsaPcm[], query: string): string | undefined {
  if (pcms.some((p) => p.name === query)) return query;
  const needle = query.toLowerCase();
  const matches = pcms.filter((p) => p.name.toLowerCase().includes(needle) || p.description.toLowerCase().includes(needle));
  return (matches.find((p) => p.name.startsWith('plughw:')) ?? (matches.length === 1 ? matches[0] : undefined))?.name;
}
