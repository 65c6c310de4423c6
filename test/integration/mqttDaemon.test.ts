import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadWavForPipeline } from '../../src/audio/toPipelineAudio.js';
import { MARK_ORDER } from '../../src/turn/Turn.js';
import { addAskingMic, type AskingMic } from '../helpers/askingMic.js';
import { DaemonProcess, type LogLine } from '../helpers/daemonProcess.js';
import { createFakeAlsa, type FakeAlsa } from '../helpers/fakeAlsa.js';
import { freePort, mqttWatcher, startMosquitto, type Mosquitto, type MqttWatcher, type WatchedMessage } from '../helpers/mosquitto.js';
import { runCli } from '../helpers/runCli.js';
import { mulberry32 } from '../helpers/seededRandom.js';
import { sharedFile } from '../helpers/sharedModels.js';

/**
 * The kiosk on a real broker: `kiosk-voice run` with the real engines, the fake ALSA mic (speaking
 * only when asked) and speaker, and Debian's mosquitto on a free port. A watcher subscribed to
 * everything records what the kiosk publishes and sends the operator's requests.
 */

const DEVICE = 'kiosk-test-1';
const BASE = `kiosk/${DEVICE}`;
const REPLY = 'We are open from nine to five thirty.';
const isTurn = (line: LogLine) => line.msg === 'turn';
const json = (message: WatchedMessage) => JSON.parse(message.payload) as Record<string, unknown>;

let question: Int16Array;

beforeAll(async () => {
  question = (await loadWavForPipeline(sharedFile('audio/flite_rms_opening_hours.wav'))).samples;
});

/** One kiosk connected to `broker`: open-mic, a rule answering the opening-hours question. */
class MqttKiosk {
  private constructor(
    readonly alsa: FakeAlsa,
    readonly mic: AskingMic,
    readonly daemon: DaemonProcess,
    readonly configFile: string,
  ) {}

  static async start(broker: { url: string }, options: { extraConfig?: string; waitListening?: boolean; alsa?: FakeAlsa } = {}): Promise<MqttKiosk> {
    const alsa = options.alsa ?? (await createFakeAlsa());
    const mic = addAskingMic(alsa, `askmic${Math.random().toString(36).slice(2, 8)}`);
    const configFile = join(alsa.home, 'kiosk.yaml');
    writeFileSync(
      configFile,
      [
        '# The kiosk under test (this comment must survive set_config).',
        `deviceId: ${DEVICE}`,
        'mqtt:',
        `  url: ${broker.url}`,
        '  summarySeconds: 5',
        '  healthSeconds: 5',
        '  reconnectMinMs: 200',
        '  reconnectMaxMs: 1000',
        '  commands: { perMinute: 600 }',
        'dialog:',
        '  rules:',
        '    - match: [opening hours]',
        `      reply: "${REPLY}"`,
        'site:',
        '  wifi: { network: Guests, password: hunter2-secret }',
        options.extraConfig ?? '',
      ].join('\n'),
    );
    const daemon = new DaemonProcess(['--config', configFile, '--input-device', mic.pcm, '--output-device', alsa.speakerPcm], {
      ...alsa.env,
      KIOSK_VOICE__AUDIO__CAPTURE__BACKEND: 'arecord',
    });
    const kiosk = new MqttKiosk(alsa, mic, daemon, configFile);
    if (options.waitListening ?? true) {
      try {
        await daemon.waitFor((l) => l.msg === 'listening', 60_000, 'the daemon listening');
        await mic.opened;
      } catch (error) {
        await kiosk.close();
        throw error;
      }
    }
    return kiosk;
  }

  turns(): LogLine[] {
    return this.daemon.logs.filter(isTurn);
  }

  /** The visitor asks the opening-hours question; resolves with the turn's log line once idle again. */
  async ask(): Promise<LogLine> {
    const d = this.daemon;
    const n = this.turns().length + 1;
    await this.mic.ask(question);
    await d.waitFor(() => this.turns().length >= n, 45_000, `turn ${n}`);
    const line = this.turns()[n - 1]!;
    const at = d.logs.indexOf(line);
    await d.waitFor((l) => l.msg === 'state' && l.to === 'idle' && d.logs.indexOf(l) > at, 30_000, `idle after turn ${n}`);
    return line;
  }

  async close(): Promise<void> {
    this.daemon.kill();
    await this.daemon.exited;
    this.mic.close();
    await this.alsa.close();
  }
}

let transactions = 0;

/** Sends a request and resolves with the kiosk's answer on `<base>/response/<command>` (matched by transaction). */
async function request(watcher: MqttWatcher, command: string, args: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const transaction = `t${++transactions}`;
  await watcher.publish(`${BASE}/request/${command}`, JSON.stringify({ ...args, transaction }), { qos: 1 });
  const answer = await watcher.waitFor((m) => m.topic === `${BASE}/response/${command}` && json(m).transaction === transaction, timeoutMs, `the answer to ${command} (${transaction})`);
  return json(answer);
}

/** A broker, a watcher of everything on it and a kiosk that is online there, for the tests of one describe block. */
function useConnectedKiosk(): { broker: Mosquitto; watcher: MqttWatcher; kiosk: MqttKiosk } {
  const parts = {} as { broker: Mosquitto; watcher: MqttWatcher; kiosk: MqttKiosk };
  beforeAll(async () => {
    parts.broker = await startMosquitto();
    parts.watcher = await mqttWatcher(parts.broker.url, ['#']);
    parts.kiosk = await MqttKiosk.start(parts.broker);
    await parts.watcher.waitFor((m) => m.topic === `${BASE}/availability` && m.payload === 'online', 10_000, 'availability online');
  }, 90_000);
  afterAll(async () => {
    await parts.kiosk?.close();
    await parts.watcher?.close();
    await parts.broker?.stop();
  });
  return parts;
}

describe('a kiosk on a real broker (mosquitto, real engines, fake ALSA)', () => {
  const connected = useConnectedKiosk();
  let watcher: MqttWatcher;
  let kiosk: MqttKiosk;
  beforeAll(() => ({ watcher, kiosk } = connected));

  it('publishes availability, state, health and Home Assistant discovery, retained, and discovery again on the HA birth message', async () => {
    const discovery = await watcher.waitFor((m) => m.topic === `homeassistant/device/${DEVICE}/config`, 10_000, 'discovery');
    expect(discovery.retain).toBe(true);
    const config = json(discovery) as { dev: { ids: unknown; name: string }; o: { name: string }; cmps: Record<string, { p: string; unique_id: string; cmd_t?: string }> };
    expect(config.dev.ids).toBeTruthy();
    expect(config.o.name).toBe('kiosk-voice');
    const components = Object.values(config.cmps);
    expect(components.length).toBeGreaterThan(10);
    for (const component of components) {
      expect(component.p).toMatch(/^(sensor|button|switch|number)$/);
      expect(component.unique_id).toMatch(new RegExp(`^${DEVICE}_`));
      if (component.cmd_t) expect(component.cmd_t.startsWith(`${BASE}/request/`)).toBe(true);
    }
    const state = await watcher.waitFor((m) => m.topic === `${BASE}/state`, 10_000, 'state');
    expect(state.retain).toBe(true);
    expect(json(state).state).toBe('idle');
    const health = json(await watcher.waitFor((m) => m.topic === `${BASE}/health`, 10_000, 'health'));
    expect(health).toMatchObject({ version: expect.any(String), mic: { state: expect.any(String) }, models: { llm: 'stories260K.gguf' } });
    expect((health.workers as unknown[]).length).toBe(3);

    const before = watcher.messages.filter((m) => m.topic === discovery.topic).length;
    await watcher.publish('homeassistant/status', 'online');
    await watcher.waitFor((m) => m.topic === discovery.topic && watcher.messages.indexOf(m) >= 0 && watcher.messages.filter((x) => x.topic === discovery.topic).length > before, 10_000, 'discovery republished');
  });

  it('publishes one telemetry/turn per turn with every mark and no transcript, the turn events, and a rolling summary', async () => {
    const turn = await kiosk.ask();
    expect(turn).toMatchObject({ outcome: 'answered', path: 'rule', reply: REPLY });
    const telemetry = await watcher.waitFor((m) => m.topic === `${BASE}/telemetry/turn` && json(m).turnId === turn.turnId, 10_000, 'telemetry/turn');
    const record = json(telemetry) as { marks: Record<string, number>; latencies: Record<string, number>; transcript?: string; reply?: string; path: string; trigger: string };
    for (const mark of MARK_ORDER) expect(record.marks[mark], mark).toEqual(expect.any(Number));
    expect(record.latencies.endOfSpeechToFirstAudio).toBeGreaterThan(0);
    expect(record).toMatchObject({ path: 'rule', trigger: 'vad' });
    expect(record.transcript).toBeUndefined();
    expect(record.reply).toBeUndefined();
    expect((telemetry.properties as { messageExpiryInterval?: number }).messageExpiryInterval).toBe(60);
    expect(watcher.messages.filter((m) => m.topic === `${BASE}/telemetry/turn` && json(m).turnId === turn.turnId)).toHaveLength(1);
    await watcher.waitFor((m) => m.topic === `${BASE}/event/turn_start` && json(m).turnId === turn.turnId, 5000, 'event/turn_start');
    await watcher.waitFor((m) => m.topic === `${BASE}/event/turn_end` && json(m).turnId === turn.turnId, 5000, 'event/turn_end');
    const summary = await watcher.waitFor((m) => m.topic === `${BASE}/telemetry/summary` && (json(m).totalTurns as number) >= 1, 12_000, 'a summary counting the turn');
    const stages = json(summary).stages as Record<string, { p50: number; p95: number; max: number }>;
    expect(stages.endOfSpeechToFirstAudio!.p50).toBeGreaterThan(0);
    expect(stages.endOfSpeechToFirstAudio!.max).toBeGreaterThanOrEqual(stages.endOfSpeechToFirstAudio!.p95);
  }, 60_000);

  it('answers every command on its response topic, and on an MQTT 5 response topic with the correlation data', async () => {
    expect(await request(watcher, 'health')).toMatchObject({ status: 'ok', data: { version: expect.any(String) } });
    const config = await request(watcher, 'get_config');
    expect(config.status).toBe('ok');
    expect(JSON.stringify(config)).not.toContain('hunter2-secret');
    expect((config.data as { site: { wifi: { password: string } } }).site.wifi.password).toBe('<redacted>');
    expect(await request(watcher, 'volume', { volume: 0.5 })).toMatchObject({ status: 'ok', data: { volume: 0.5 } });
    expect(json(await watcher.waitFor((m) => m.topic === `${BASE}/health` && json(m).volume === 0.5, 10_000, 'health with the new volume')).volume).toBe(0.5);
    expect(await request(watcher, 'mute')).toMatchObject({ status: 'ok', data: { state: 'muted' } });
    expect(await request(watcher, 'start_listening')).toMatchObject({ status: 'error', error: expect.stringContaining('muted') });
    expect(await request(watcher, 'unmute')).toMatchObject({ status: 'ok', data: { state: 'idle' } });
    expect(await request(watcher, 'mute', { muted: false })).toMatchObject({ status: 'ok', data: { state: 'idle' } });
    expect(await request(watcher, 'start_listening')).toMatchObject({ status: 'ok', data: { state: 'listening' } });
    expect(await request(watcher, 'stop')).toMatchObject({ status: 'ok', data: { state: 'idle' } });
    expect(await request(watcher, 'log_level', { level: 'debug' })).toMatchObject({ status: 'ok', data: { level: 'debug' } });
    const said = await request(watcher, 'say', { text: 'The clinic closes in ten minutes.' }, 30_000);
    expect(said).toMatchObject({ status: 'ok', data: { heardWhole: true } });
    expect((said.data as { seconds: number }).seconds).toBeGreaterThan(0.5);

    // MQTT 5 request/response: the answer also goes to the caller's topic, with its correlation data.
    const correlationData = Buffer.from('corr-42');
    await watcher.publish(`${BASE}/request/health`, '{}', { qos: 1, properties: { responseTopic: 'operator/replies/1', correlationData } });
    const reply = await watcher.waitFor((m) => m.topic === 'operator/replies/1', 10_000, 'the answer on the response topic');
    expect(json(reply).status).toBe('ok');
    expect(Buffer.from((reply.properties as { correlationData: Uint8Array }).correlationData).toString()).toBe('corr-42');

    const audits = watcher.messages.filter((m) => m.topic === `${BASE}/event/audit`).map(json);
    expect(audits.map((a) => a.command)).toEqual(expect.arrayContaining(['health', 'get_config', 'volume', 'mute', 'unmute', 'start_listening', 'stop', 'log_level', 'say']));
    expect(JSON.stringify(audits)).not.toContain('hunter2-secret');
  }, 90_000);

  it('selftest speaks its phrase through the whole pipeline and reports the turn', async () => {
    const result = await request(watcher, 'selftest', {}, 45_000);
    expect(result.status, JSON.stringify(result)).toBe('ok');
    const data = result.data as { outcome: string; heard: string; reply: string; latencies: Record<string, number> };
    expect(data.outcome).toBe('answered');
    expect(data.latencies.endOfSpeechToFirstAudio).toBeGreaterThan(0);
    expect(data.heard.length).toBeGreaterThan(0);
  }, 60_000);

  it('set_config: an invalid value and a __proto__ key are refused and change nothing; a valid one is saved with its comments', async () => {
    const before = readFileSync(kiosk.configFile);
    const invalid = await request(watcher, 'set_config', { config: { audio: { playback: { volume: 7 } } } });
    expect(invalid).toMatchObject({ status: 'error', error: expect.stringContaining('audio.playback.volume') });
    await watcher.publish(`${BASE}/request/set_config`, '{"config": {"__proto__": {"logLevel": "trace"}}, "transaction": "proto"}', { qos: 1 });
    const proto = json(await watcher.waitFor((m) => m.topic === `${BASE}/response/set_config` && json(m).transaction === 'proto', 10_000, 'the __proto__ answer'));
    expect(proto).toMatchObject({ status: 'error', error: expect.stringContaining('__proto__') });
    const unknown = await request(watcher, 'set_config', { config: { turn: { noSuchSetting: 1 } } });
    expect(unknown).toMatchObject({ status: 'error', error: expect.stringContaining('noSuchSetting') });
    expect(readFileSync(kiosk.configFile).equals(before)).toBe(true);

    const valid = await request(watcher, 'set_config', { config: { turn: { followUpSeconds: 3 }, audio: { playback: { volume: 0.8 } } } });
    expect(valid).toMatchObject({ status: 'ok', data: { restartNeeded: true, restarted: false } });
    expect((valid.data as { changes: { path: string }[] }).changes.map((c) => c.path).sort()).toEqual(['audio.playback.volume', 'turn.followUpSeconds']);
    const text = readFileSync(kiosk.configFile, 'utf8');
    expect(text).toContain('# The kiosk under test (this comment must survive set_config).');
    expect(text).toMatch(/followUpSeconds: 3/);
    expect(await request(watcher, 'health')).toMatchObject({ data: { volume: 0.8 } });
  }, 60_000);

  it('restart_pipeline builds the pipeline again from the saved file: the set_config change survives it, and visitors are served', async () => {
    const restarted = await request(watcher, 'restart_pipeline', {}, 60_000);
    expect(restarted, JSON.stringify(restarted)).toMatchObject({ status: 'ok', data: { loadMs: { brain: expect.any(Number) } } });
    const config = await request(watcher, 'get_config');
    expect(config).toMatchObject({ status: 'ok', data: { turn: { followUpSeconds: 3 }, audio: { playback: { volume: 0.8 } } } });
    await kiosk.daemon.waitFor((l) => l.msg === 'capture state' && l.state === 'running' && kiosk.daemon.logs.indexOf(l) > kiosk.daemon.logs.findIndex((x) => x.msg === 'restarting the pipeline'), 30_000, 'the mic running again');
    expect(await kiosk.ask()).toMatchObject({ outcome: 'answered', reply: REPLY });
  }, 120_000);

  it('500 hostile requests each get an error answer, and the kiosk still answers a spoken question', async () => {
    const random = mulberry32(7);
    const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const commands = ['say', 'volume', 'set_config', 'mute', 'log_level', 'no_such_command', 'health%00', 'x'.repeat(300)];
    const hostile: { command: string; payload: Buffer }[] = [];
    for (let i = 0; i < 500; i++) {
      const kind = i % 7;
      const command = pick(commands);
      let payload: Buffer;
      if (kind === 0) payload = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 200) }, () => Math.floor(random() * 256)));
      else if (kind === 1) payload = Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`);
      else if (kind === 2) payload = Buffer.from(JSON.stringify({ text: 'y'.repeat(70 * 1024) }));
      else if (kind === 3) payload = Buffer.from(JSON.stringify({ volume: 'loud', text: 42, level: ['x'], config: 'all' }));
      else if (kind === 4) payload = Buffer.from(`{"config": {"a": {"__proto__": {"x": 1}}}, "constructor": 1}`);
      else if (kind === 5) payload = Buffer.from(JSON.stringify([1, 2, 3]));
      else payload = Buffer.from(JSON.stringify({ unknownArgument: true, prototype: {} }));
      hostile.push({ command: kind === 6 ? 'no_such_command' : command, payload });
    }
    const audited = () => watcher.messages.filter((m) => m.topic === `${BASE}/event/audit` && json(m).transaction === undefined).length;
    const auditsBefore = audited();
    for (const { command, payload } of hostile) await watcher.publish(`${BASE}/request/${command}`, payload, { qos: 0 });
    await watcher.waitFor(() => audited() - auditsBefore >= 500, 60_000, '500 audit records');
    // Only the hostile ones: they carry no transaction (an earlier request's audit may come late).
    const records = watcher.messages.filter((m) => m.topic === `${BASE}/event/audit`).map(json).filter((r) => r.transaction === undefined).slice(auditsBefore);
    expect(records).toHaveLength(500);
    expect(records.filter((r) => r.outcome !== 'refused')).toEqual([]);
    expect(kiosk.daemon.logs.filter((l) => l.level >= 50 && /mqtt/i.test(l.msg))).toEqual([]);
    const turn = await kiosk.ask();
    expect(turn).toMatchObject({ outcome: 'answered', reply: REPLY });
  }, 120_000);
});

describe('the operator tools on a real broker: doctor, mqtt send, mqtt forget', () => {
  const connected = useConnectedKiosk();
  let broker: Mosquitto;
  let kiosk: MqttKiosk;
  beforeAll(() => ({ broker, kiosk } = connected));

  it('doctor connects to the broker with MQTT 5', async () => {
    const { stdout } = await runCli(['doctor', '--config', kiosk.configFile, '--json'], { env: kiosk.alsa.env, timeoutMs: 60_000 });
    const checks = (JSON.parse(stdout) as { checks: { name: string; status: string; detail: string }[] }).checks;
    expect(checks.find((c) => c.name === 'mqtt')).toMatchObject({ status: 'ok', detail: `connected with MQTT 5; topics under ${BASE}` });
  }, 60_000);

  it('mqtt send prints the answer; an error answer and an unreachable broker exit 1 with one line', async () => {
    const health = await runCli(['mqtt', 'send', 'health', '--config', kiosk.configFile]);
    expect(health.code, health.stderr).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ok', data: { version: expect.any(String) } });
    const refused = await runCli(['mqtt', 'send', 'volume', '{"volume": 9}', '--config', kiosk.configFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^kiosk-voice: volume: .*volume/)]);
    const dead = join(kiosk.alsa.home, 'dead.yaml');
    writeFileSync(dead, `deviceId: ${DEVICE}\nmqtt: { url: "mqtt://127.0.0.1:${await freePort()}", connectTimeoutMs: 1000 }\n`);
    const unreachable = await runCli(['mqtt', 'send', 'health', '--config', dead]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^kiosk-voice: cannot connect to mqtt:\/\/127\.0\.0\.1:\d+ within 1 s: .*ECONNREFUSED/)]);
  }, 60_000);

  it('mqtt forget removes the device from Home Assistant and clears the retained topics', async () => {
    expect(await kiosk.daemon.stop()).toBe(0);
    const forget = await runCli(['mqtt', 'forget', '--config', kiosk.configFile]);
    expect(forget.code, forget.stderr).toBe(0);
    expect(forget.stdout).toContain(`homeassistant/device/${DEVICE}/config`);
    const late = await mqttWatcher(broker.url, [`homeassistant/#`, `${BASE}/#`]);
    try {
      // A new subscriber gets no retained discovery, availability, state or health any more.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(late.messages.filter((m) => m.retain && m.payload !== '').map((m) => m.topic)).toEqual([]);
    } finally {
      await late.close();
    }
  }, 60_000);
});

describe('a kiosk whose broker comes and goes', () => {
  let broker: Mosquitto | undefined;
  let watcher: MqttWatcher | undefined;
  let kiosk: MqttKiosk | undefined;
  afterEach(async () => {
    await kiosk?.close();
    await watcher?.close();
    await broker?.stop();
    kiosk = watcher = broker = undefined;
  });

  it('reconnects after the broker is killed and restarted; kill -9 of the kiosk makes the broker publish offline', async () => {
    broker = await startMosquitto();
    kiosk = await MqttKiosk.start(broker);
    watcher = await mqttWatcher(broker.url, [`${BASE}/#`]);
    await watcher.waitFor((m) => m.topic === `${BASE}/availability` && m.payload === 'online', 10_000, 'online');
    await broker.kill();
    await broker.restart();
    const seen = watcher.messages.length;
    await watcher.waitFor((m) => m.topic === `${BASE}/availability` && m.payload === 'online' && watcher!.messages.indexOf(m) >= seen, 15_000, 'online again after the broker restart');
    kiosk.daemon.kill();
    await kiosk.daemon.exited;
    // The will: the broker notices the dead connection (socket closed) and publishes it.
    await watcher.waitFor((m) => m.topic === `${BASE}/availability` && m.payload === 'offline', 15_000, 'offline from the last will');
  }, 90_000);

  it('started with the broker down, serves a visitor, then connects when the broker appears; SIGTERM publishes offline', async () => {
    const port = await freePort();
    const url = `mqtt://127.0.0.1:${port}`;
    kiosk = await MqttKiosk.start({ url });
    const turn = await kiosk.ask();
    expect(turn).toMatchObject({ outcome: 'answered', reply: REPLY });
    broker = await startMosquitto({ port });
    watcher = await mqttWatcher(broker.url, [`${BASE}/#`]);
    await watcher.waitFor((m) => m.topic === `${BASE}/availability` && m.payload === 'online', 15_000, 'online once the broker is up');
    expect(await kiosk.daemon.stop()).toBe(0);
    await watcher.waitFor((m) => m.topic === `${BASE}/availability` && m.payload === 'offline' && m.retain, 5000, 'offline on a clean stop');
  }, 120_000);
});
