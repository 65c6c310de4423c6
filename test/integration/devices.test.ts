import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { listPortAudioDevices, parseCardList, parsePcmList } from '../../src/audio/devices/listAudioDevices.js';
import { registerDevicesCommand, type DevicesReport } from '../../src/cli/devicesCommand.js';
import { createFakeSpeaker } from '../helpers/fakeSpeaker.js';
import { repoRoot } from '../helpers/sharedModels.js';

const execFileAsync = promisify(execFile);

// `kiosk-voice devices` against real PortAudio (in its child) and real alsa-utils, with a fake
// `.asoundrc` (kspk, kmic) in a temp HOME. The machine has no sound card, so ALSA lists no cards.

const fake = createFakeSpeaker('kv-dev-');
afterAll(() => fake.cleanup());

async function devices(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let exitCode = 0;
  const program = new Command('kiosk-voice').option('--log-level <level>').exitOverride();
  registerDevicesCommand(program, { stdout, stderr, env: fake.env, setExitCode: (code) => (exitCode = code) });
  await program.parseAsync(['devices', ...args], { from: 'user' });
  return { stdout: out, stderr: err, exitCode };
}

function config(name: string, capture: string, playback: string): string {
  const file = join(fake.home, `${name}.yaml`);
  writeFileSync(file, `audio:\n  capture:\n    device: ${capture}\n  playback:\n    device: ${playback}\n`);
  return file;
}

describe('kiosk-voice devices', () => {
  it('lists kmic for capture and kspk for playback with channels and rates, marking the configured ones', async () => {
    const { stdout, stderr, exitCode } = await devices(['--json', '--config', config('both', 'kmic', 'kspk')]);
    expect(exitCode, stderr).toBe(0);
    const report = JSON.parse(stdout) as DevicesReport;
    expect(report.portAudioError).toBeNull();
    const kmic = report.capture.find((d) => d.name === 'kmic');
    const kspk = report.playback.find((d) => d.name === 'kspk');
    expect(kmic).toMatchObject({ channels: 128, defaultSampleRate: 44100, hostApi: 'ALSA', configured: true });
    expect(kspk).toMatchObject({ channels: 128, defaultSampleRate: 44100, hostApi: 'ALSA', configured: true });
    // Only the configured device is marked in each list.
    expect(report.capture.filter((d) => d.configured).map((d) => d.name)).toEqual(['kmic']);
    expect(report.playback.filter((d) => d.configured).map((d) => d.name)).toEqual(['kspk']);
    expect(report.configured.capture).toMatchObject({ setting: 'audio.capture.device', device: 'kmic', portAudio: 'kmic', alsaPcm: 'kmic', status: 'found', problem: null });
    expect(report.configured.playback).toMatchObject({ device: 'kspk', portAudio: 'kspk', alsaPcm: 'kspk', status: 'found' });
    // ALSA's own view: the PCMs from .asoundrc; no cards on this machine.
    expect(report.alsa.capture.pcms.map((p) => p.name)).toContain('kmic');
    expect(report.alsa.playback.pcms.map((p) => p.name)).toContain('kspk');
    expect(report.alsa.playback.pcms.find((p) => p.name === 'null')?.description).toMatch(/Discard all samples/);
    expect(report.alsa.playback.cards).toEqual([]);
    expect(report.alsa.playback.error).toBeNull();
    expect(stderr).toBe('');
  });

  it('keeps PortAudio, ALSA and JACK chatter out of a real process stdout and stderr', async () => {
    // The command registered on a program of its own, run as a process, so the check is on its
    // file descriptors rather than on the streams handed to it.
    const script = join(fake.home, 'devices-cli.mts');
    writeFileSync(
      script,
      `import { Command } from ${JSON.stringify(join(repoRoot, 'node_modules/commander/esm.mjs'))};\n` +
        `import { registerDevicesCommand } from ${JSON.stringify(join(repoRoot, 'src/cli/devicesCommand.ts'))};\n` +
        `const program = new Command('kiosk-voice');\nregisterDevicesCommand(program);\nawait program.parseAsync(process.argv);\n`,
    );
    const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', script, 'devices', '--json', '--config', config('proc', 'kmic', 'kspk')], {
      cwd: repoRoot,
      env: fake.env,
    });
    const report = JSON.parse(stdout) as DevicesReport;
    expect(report.capture.find((d) => d.name === 'kmic')?.configured).toBe(true);
    expect(stderr).toBe('');
  });

  it('reports a configured name that matches nothing, lists everything and exits 0', async () => {
    const { stdout, stderr, exitCode } = await devices(['--json', '--config', config('missing', 'mic', 'nosuch')]);
    expect(exitCode, stderr).toBe(0);
    const report = JSON.parse(stdout) as DevicesReport;
    // A substring is enough when it names one device.
    expect(report.configured.capture).toMatchObject({ device: 'mic', portAudio: 'kmic', status: 'found' });
    expect(report.configured.playback).toMatchObject({ device: 'nosuch', portAudio: null, alsaPcm: null, status: 'not-found' });
    expect(report.configured.playback.problem).toMatch(/no playback device matches "nosuch".*available: "kspk", "kmic"/);
    expect(report.playback.map((d) => d.name)).toEqual(expect.arrayContaining(['kspk', 'kmic']));
    expect(report.playback.some((d) => d.configured)).toBe(false);
  });

  it('says a PCM spec ALSA may open is unverified, and prints a readable table', async () => {
    const { stdout, exitCode } = await devices(['--config', config('spec', 'kmic', 'plug:kspk')]);
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(/^Capture devices \(PortAudio/m);
    expect(stdout).toMatch(/^ {2}\* kmic +128 ch +44100 Hz {2}ALSA$/m);
    expect(stdout).toMatch(/^ALSA playback cards \(`aplay -l`\)\n {4}none$/m);
    expect(stdout).toMatch(/audio\.capture\.device "kmic": PortAudio "kmic", ALSA PCM "kmic"/);
    expect(stdout).toMatch(/audio\.playback\.device "plug:kspk": unverified — "plug:kspk" is not listed; aplay may still open it/);
  });

  it('fails with a one-line error when the config cannot be loaded', async () => {
    const { stdout, stderr, exitCode } = await devices(['--config', join(fake.home, 'absent.yaml')]);
    expect(exitCode).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: config file .*absent\.yaml does not exist — check the path given to --config\n$/);
  });

  it('finds no devices, without failing, when ALSA has no configuration for them', async () => {
    // A HOME without .asoundrc on a machine without a sound card: PortAudio lists nothing.
    const devicesSeen = await listPortAudioDevices({ env: { ...fake.env, HOME: join(fake.home, 'empty') } });
    expect(devicesSeen.map((d) => d.name)).not.toContain('kspk');
  });

  it('parses the card lines of a machine that has cards', () => {
    const cards = parseCardList(
      '**** List of PLAYBACK Hardware Devices ****\n' +
        'card 0: vc4hdmi0 [vc4-hdmi-0], device 0: MAI PCM i2s-hifi-0 [MAI PCM i2s-hifi-0]\n' +
        '  Subdevices: 1/1\n' +
        '  Subdevice #0: subdevice #0\n' +
        'card 2: ArrayUAC10 [ReSpeaker 4 Mic Array (UAC1.0)], device 0: USB Audio [USB Audio]\n',
    );
    expect(cards).toEqual([
      { card: 0, cardId: 'vc4hdmi0', cardName: 'vc4-hdmi-0', device: 0, deviceName: 'MAI PCM i2s-hifi-0' },
      { card: 2, cardId: 'ArrayUAC10', cardName: 'ReSpeaker 4 Mic Array (UAC1.0)', device: 0, deviceName: 'USB Audio' },
    ]);
    expect(parsePcmList('default\n    Playback/recording through the PulseAudio sound server\nplughw:CARD=ArrayUAC10,DEV=0\n    ReSpeaker 4 Mic Array (UAC1.0), USB Audio\n    Hardware device with all software conversions\n')).toEqual([
      { name: 'default', description: 'Playback/recording through the PulseAudio sound server' },
      { name: 'plughw:CARD=ArrayUAC10,DEV=0', description: 'ReSpeaker 4 Mic Array (UAC1.0), USB Audio; Hardware device with all software conversions' },
    ]);
  });
});
