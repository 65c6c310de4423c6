import type { Command } from 'commander';
import { AudioDeviceNotFoundError, matchDevice, type PortAudioDevice } from '../audio/devices/matchDevice.js';
import { listAudioDevices, matchAlsaPcm, type AlsaDeviceList, type AudioDeviceList, type ListOptions } from '../audio/devices/listAudioDevices.js';
import { KioskVoiceError } from '../errors.js';
import { resolveRuntimeConfig } from './resolveRuntimeConfig.js';

/**
 * `kiosk-voice devices`: the capture and playback devices PortAudio and ALSA offer, with the
 * configured ones marked, so an operator can pick a name for `audio.capture.device` /
 * `audio.playback.device`. A configured name that matches nothing is reported, not fatal: the
 * list is what the operator needs to fix it. The exit code is non-zero only when the config cannot
 * be loaded or no device list at all could be had.
 */

/** Where output goes; the defaults are the process's own streams and environment. */
export interface DevicesCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Environment for the listing children (ALSA reads `$HOME/.asoundrc`). */
  env: NodeJS.ProcessEnv;
  setExitCode: (code: number) => void;
}

interface DevicesOptions {
  config?: string;
  json?: boolean;
}

type Direction = 'capture' | 'playback';

/** How a configured device name resolves against the lists. */
export interface ConfiguredDevice {
  setting: `audio.${Direction}.device`;
  device: string;
  /** The PortAudio device the name matches (naudiodon's choice), if any. */
  portAudio: string | null;
  /** The ALSA PCM the name means for arecord/aplay, if listed. */
  alsaPcm: string | null;
  /**
   * `found`: a listed device matches. `unverified`: not listed, but a PCM spec (`plughw:…`,
   * `plug:name`) ALSA may still open. `not-found`: matches nothing.
   */
  status: 'found' | 'unverified' | 'not-found';
  problem: string | null;
}

/** One device in the `--json` report. */
export interface ListedDevice {
  name: string;
  channels: number;
  defaultSampleRate: number;
  hostApi: string | null;
  configured: boolean;
}

/** The `--json` report. */
export interface DevicesReport {
  capture: ListedDevice[];
  playback: ListedDevice[];
  portAudioError: string | null;
  alsa: Record<Direction, AlsaDeviceList & { error: string | null; configuredPcm: string | null }>;
  configured: Record<Direction, ConfiguredDevice>;
}

/** Adds `devices` to the program. `io` is for tests. */
export function registerDevicesCommand(program: Command, io: Partial<DevicesCommandIo> = {}): void {
  const out: DevicesCommandIo = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    setExitCode: io.setExitCode ?? ((code) => (process.exitCode = code)),
  };
  program
    .command('devices')
    .description('list capture and playback devices (PortAudio and ALSA), marking the configured ones')
    .option('-c, --config <file>', 'YAML or JSON config file whose audio devices are marked')
    .option('--json', 'print one JSON report on stdout')
    .addHelpText(
      'after',
      '\nUse a name (or a distinctive part of it) from this list as audio.capture.device or\n' +
        'audio.playback.device; never an index, which changes when devices are plugged in another order.',
    )
    .action(async (options: DevicesOptions, command: Command) => {
      try {
        const { logLevel } = command.optsWithGlobals<{ logLevel?: string }>();
        const { config } = resolveRuntimeConfig({ config: options.config, logLevel });
        const lists = await listAudioDevices({ env: out.env } satisfies ListOptions);
        const report = buildReport(lists, { capture: config.audio.capture.device, playback: config.audio.playback.device });
        out.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
        if (lists.portAudio.error && lists.alsa.capture.error && lists.alsa.playback.error) {
          out.stderr.write(`error: no audio device list could be had — ${lists.portAudio.error}; ${lists.alsa.playback.error}\n`);
          out.setExitCode(1);
        }
      } catch (error) {
        out.stderr.write(`error: ${error instanceof KioskVoiceError ? error.toUserLine() : error instanceof Error ? error.message : String(error)}\n`);
        out.setExitCode(1);
      }
    });
}

/** The report for device lists and the configured names. */
export function buildReport(lists: AudioDeviceList, configured: Record<Direction, string>): DevicesReport {
  const resolved = {
    capture: resolveConfigured('capture', configured.capture, lists),
    playback: resolveConfigured('playback', configured.playback, lists),
  };
  const listed = (direction: Direction): ListedDevice[] =>
    lists.portAudio.devices
      .filter((d) => channelsOf(d, direction) > 0)
      .map((d) => ({
        name: d.name,
        channels: channelsOf(d, direction),
        defaultSampleRate: d.defaultSampleRate,
        hostApi: d.hostAPIName ?? null,
        configured: d.name === resolved[direction].portAudio,
      }));
  const alsa = (direction: Direction) => ({
    ...lists.alsa[direction],
    error: lists.alsa[direction].error ?? null,
    configuredPcm: resolved[direction].alsaPcm,
  });
  return {
    capture: listed('capture'),
    playback: listed('playback'),
    portAudioError: lists.portAudio.error ?? null,
    alsa: { capture: alsa('capture'), playback: alsa('playback') },
    configured: resolved,
  };
}

function channelsOf(d: PortAudioDevice, direction: Direction): number {
  return direction === 'capture' ? d.maxInputChannels : d.maxOutputChannels;
}

function resolveConfigured(direction: Direction, device: string, lists: AudioDeviceList): ConfiguredDevice {
  const setting = `audio.${direction}.device` as const;
  let portAudio: string | null = null;
  let portAudioProblem = lists.portAudio.error ? `PortAudio: ${lists.portAudio.error}` : '';
  if (!lists.portAudio.error) {
    try {
      portAudio = matchDevice(lists.portAudio.devices, device, direction === 'capture' ? 'input' : 'output').name;
    } catch (error) {
      if (!(error instanceof AudioDeviceNotFoundError)) throw error;
      portAudioProblem = `PortAudio: ${error.message}`;
    }
  }
  const alsaPcm = matchAlsaPcm(lists.alsa[direction].pcms, device) ?? null;
  if (portAudio || alsaPcm) return { setting, device, portAudio, alsaPcm, status: 'found', problem: null };
  const tool = direction === 'capture' ? 'arecord' : 'aplay';
  // `plughw:CARD=x,DEV=0`, `plug:mypcm`, `default`: ALSA builds these on demand and lists few of them.
  if (device.includes(':') || device === 'default') {
    return {
      setting,
      device,
      portAudio,
      alsaPcm,
      status: 'unverified',
      problem: `"${device}" is not listed; ${tool} may still open it as an ALSA PCM (the naudiodon backend cannot) — try \`${tool} -D '${device}'\``,
    };
  }
  return {
    setting,
    device,
    portAudio,
    alsaPcm,
    status: 'not-found',
    problem: `no ${direction} device matches "${device}" (${portAudioProblem || 'PortAudio lists none'}; not among \`${tool} -L\` names) — pick a name from this list`,
  };
}

/** The report for a person: one section per list, then what the configured names resolve to. */
export function formatReport(report: DevicesReport): string {
  const lines: string[] = [];
  for (const direction of ['capture', 'playback'] as const) {
    const devices = report[direction];
    lines.push(`${direction === 'capture' ? 'Capture' : 'Playback'} devices (PortAudio, used by the naudiodon backend)`);
    if (report.portAudioError) lines.push(`    unavailable: ${report.portAudioError}`);
    else if (devices.length === 0) lines.push('    none');
    const width = Math.max(10, ...devices.map((d) => d.name.length));
    for (const d of devices) {
      lines.push(`  ${d.configured ? '*' : ' '} ${d.name.padEnd(width)}  ${String(d.channels).padStart(3)} ch  ${String(d.defaultSampleRate).padStart(6)} Hz${d.hostApi ? `  ${d.hostApi}` : ''}`);
    }
  }
  for (const direction of ['capture', 'playback'] as const) {
    const alsa = report.alsa[direction];
    const tool = direction === 'capture' ? 'arecord' : 'aplay';
    lines.push(`ALSA ${direction} PCMs (\`${tool} -L\`, used by the ${tool} backend)`);
    if (alsa.error) lines.push(`    unavailable: ${alsa.error}`);
    else if (alsa.pcms.length === 0) lines.push('    none');
    for (const pcm of alsa.pcms) lines.push(`  ${pcm.name === alsa.configuredPcm ? '*' : ' '} ${pcm.name}${pcm.description ? ` — ${pcm.description}` : ''}`);
    lines.push(`ALSA ${direction} cards (\`${tool} -l\`)`);
    if (!alsa.error && alsa.cards.length === 0) lines.push('    none');
    for (const c of alsa.cards) lines.push(`    card ${c.card} "${c.cardId}" (${c.cardName}), device ${c.device}: ${c.deviceName} — plughw:CARD=${c.cardId},DEV=${c.device}`);
  }
  lines.push('Configured (* above)');
  for (const direction of ['capture', 'playback'] as const) {
    const c = report.configured[direction];
    const where = [c.portAudio ? `PortAudio "${c.portAudio}"` : '', c.alsaPcm ? `ALSA PCM "${c.alsaPcm}"` : ''].filter(Boolean).join(', ');
    lines.push(`  ${c.setting} "${c.device}": ${c.status === 'found' ? where : `${c.status === 'unverified' ? 'unverified' : 'NOT FOUND'} — ${c.problem}`}`);
  }
  return `${lines.join('\n')}\n`;
}
