import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { Aedes, type AedesPublishPacket, type Client as AedesClient } from 'aedes';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection, type MqttConnectionOptions, type MqttMessage } from '../../src/telemetry/mqtt/MqttConnection.js';
import { freePort, mqttWatcher, startMosquitto, type Mosquitto, type MqttWatcher } from '../helpers/mosquitto.js';

const repo = resolve(import.meta.dirname, '../..');

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}
const WARN = 40;
const INFO = 30;

/** A connection under test with what it emitted and logged. */
interface Probe {
  connection: MqttConnection;
  clientId: string;
  /** Its will goes to `${base}/availability`. */
  base: string;
  logs: LogLine[];
  connected: { protocolVersion: 4 | 5 }[];
  disconnected: { reason: string }[];
  failedAttempts: { reason: string }[];
  messages: MqttMessage[];
}

const open: MqttConnection[] = [];
const watchers: MqttWatcher[] = [];
let clientNumber = 0;

afterEach(async () => {
  await Promise.all(open.splice(0).map((connection) => connection.close(500)));
  await Promise.all(watchers.splice(0).map((watcher) => watcher.close()));
});

function probe(url: string, options: Partial<MqttConnectionOptions> = {}): Probe {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const clientId = `kiosk-voice-test-${process.pid}-${++clientNumber}`;
  const base = `kv-test/${clientNumber}`;
  const connection = new MqttConnection({
    url,
    clientId,
    keepaliveSeconds: 5,
    connectTimeoutMs: 2000,
    reconnectMinMs: 100,
    reconnectMaxMs: 400,
    will: { topic: `${base}/availability`, payload: 'offline', retain: true, qos: 1 },
    logger,
    ...options,
  });
  const result: Probe = { connection, clientId, base, logs, connected: [], disconnected: [], failedAttempts: [], messages: [] };
  connection.on('connected', (event) => result.connected.push(event));
  connection.on('disconnected', (event) => result.disconnected.push(event));
  connection.on('attemptFailed', (event) => result.failedAttempts.push(event));
  connection.on('message', (message) => result.messages.push(message));
  open.push(connection);
  return result;
}

async function watch(...args: Parameters<typeof mqttWatcher>): Promise<MqttWatcher> {
  const watcher = await mqttWatcher(...args);
  watchers.push(watcher);
  return watcher;
}

async function until(condition: () => boolean, timeoutMs: number, what: string, logs?: LogLine[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms${logs ? `; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}` : ''}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe('MqttConnection against mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker.stop());

  it('connects with MQTT 5, publishes retained and expiring messages, and receives requests with their response topic', async () => {
    const watcher = await watch(broker.url, ['kv-test/m5/#']);
    const p = probe(broker.url);
    p.connection.start();
    await until(() => p.connected.length === 1, 5000, 'connected', p.logs);
    expect(p.connected).toEqual([{ protocolVersion: 5 }]);
    expect(p.connection.connected).toBe(true);
    expect(p.connection.protocolVersion).toBe(5);
    expect(p.logs.filter((l) => l.level === INFO && l.msg === `MQTT connected to ${broker.url}`)).toHaveLength(1);

    await p.connection.publish('kv-test/m5/availability', 'online', { retain: true, qos: 1 });
    await p.connection.publish('kv-test/m5/telemetry/turn', '{"turnId":1}', { messageExpirySeconds: 30, correlationData: Buffer.from('c-1') });
    const online = await watcher.waitFor((m) => m.topic === 'kv-test/m5/availability', 3000, 'availability');
    expect(online).toMatchObject({ payload: 'online', retain: true });
    const turn = await watcher.waitFor((m) => m.topic === 'kv-test/m5/telemetry/turn', 3000, 'telemetry');
    expect(turn.retain).toBe(false);
    const properties = turn.properties as { messageExpiryInterval?: number; correlationData?: Buffer };
    expect(properties.messageExpiryInterval).toBeGreaterThan(25);
    expect(properties.messageExpiryInterval).toBeLessThanOrEqual(30);
    expect(properties.correlationData?.toString()).toBe('c-1');

    const late = await watch(broker.url, ['kv-test/m5/availability']);
    expect(await late.waitFor(() => true, 3000, 'retained availability')).toMatchObject({ payload: 'online', retain: true });

    await p.connection.subscribe(['kv-test/m5/request/+']);
    await watcher.publish('kv-test/m5/request/health', '{}', { qos: 1, properties: { responseTopic: 'kv-test/m5/reply', correlationData: Buffer.from([1, 2, 3]) } });
    await until(() => p.messages.length === 1, 3000, 'request received');
    expect(p.messages[0]).toEqual({ topic: 'kv-test/m5/request/health', payload: Buffer.from('{}'), responseTopic: 'kv-test/m5/reply', correlationData: Buffer.from([1, 2, 3]) });
  });

  it('closes with a DISCONNECT: no last will, a "disconnected" event, and nothing sent afterwards', async () => {
    const p = probe(broker.url);
    const watcher = await watch(broker.url, [`${p.base}/#`]);
    p.connection.start();
    await until(() => p.connection.connected, 5000, 'connected', p.logs);
    await p.connection.publish(`${p.base}/availability`, 'offline', { retain: true, qos: 1 });
    await p.connection.close(1000);
    expect(p.disconnected).toEqual([{ reason: 'closed' }]);
    expect(p.connection.connected).toBe(false);
    await p.connection.publish(`${p.base}/after-close`, 'x', { qos: 1 });
    await watcher.publish(`${p.base}/marker`, 'm', { qos: 1 });
    await watcher.waitFor((m) => m.topic.endsWith('/marker'), 3000, 'marker');
    // The only offline is the one published on purpose; the broker dropped the will.
    expect(watcher.messages.map((m) => `${m.topic.split('/').pop()}=${m.payload}`)).toEqual(['availability=offline', 'marker=m']);
  });

  it('the broker publishes the retained last will when the kiosk process is killed', async () => {
    const watcher = await watch(broker.url, ['kv-test/will/availability']);
    const code = `
      const { MqttConnection } = await import(${JSON.stringify(resolve(repo, 'src/telemetry/mqtt/MqttConnection.ts'))});
      const { pino } = await import('pino');
      const connection = new MqttConnection({
        url: ${JSON.stringify(broker.url)}, clientId: 'kiosk-voice-will-test', keepaliveSeconds: 30, connectTimeoutMs: 2000,
        reconnectMinMs: 100, reconnectMaxMs: 400, logger: pino({ level: 'silent' }),
        will: { topic: 'kv-test/will/availability', payload: 'offline', retain: true, qos: 1 },
      });
      connection.on('connected', async () => {
        await connection.publish('kv-test/will/availability', 'online', { retain: true, qos: 1 });
        process.stdout.write('online\\n');
      });
      connection.start();`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await new Promise<void>((done, fail) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('online') && done());
        child.once('exit', (exitCode) => fail(new Error(`the kiosk process exited (${exitCode}) before connecting:\n${stderr}`)));
      });
      await watcher.waitFor((m) => m.payload === 'online', 3000, 'online');
    } finally {
      child.kill('SIGKILL');
    }
    const will = await watcher.waitFor((m) => m.payload === 'offline', 5000, 'the last will');
    expect(will).toMatchObject({ topic: 'kv-test/will/availability', retain: true });
    const late = await watch(broker.url, ['kv-test/will/availability']);
    expect(await late.waitFor(() => true, 3000, 'retained will')).toMatchObject({ payload: 'offline', retain: true });
  });

  it('reconnects after the broker is killed and restarted, renews its subscriptions, and logs the outage once', async () => {
    const p = probe(broker.url);
    p.connection.start();
    await until(() => p.connection.connected, 5000, 'connected', p.logs);
    await p.connection.subscribe(['kv-test/restart/cmd/#']);

    await broker.kill();
    await until(() => p.disconnected.length === 1, 5000, 'disconnected', p.logs);
    expect(p.connection.connected).toBe(false);
    expect(p.connection.protocolVersion).toBeUndefined();
    await until(() => p.failedAttempts.length >= 2, 5000, 'retrying while the broker is down', p.logs);
    await broker.restart();
    await until(() => p.connected.length === 2, 5000, 'connected again', p.logs);
    expect(p.connected).toEqual([{ protocolVersion: 5 }, { protocolVersion: 5 }]);

    // Persistence is off: only a subscription renewed after the restart can deliver this.
    const publisher = await watch(broker.url, []);
    const deadline = Date.now() + 4000;
    while (p.messages.length === 0 && Date.now() < deadline) {
      await publisher.publish('kv-test/restart/cmd/stop', 'after-restart', { qos: 1 });
      await new Promise((done) => setTimeout(done, 100));
    }
    expect(p.messages[0]).toMatchObject({ topic: 'kv-test/restart/cmd/stop', payload: Buffer.from('after-restart') });
    const warnings = p.logs.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toMatch(new RegExp(`^MQTT connection to ${broker.url} lost`));
  });

  it('starts with the broker down, keeps QoS 1 and drops QoS 0 meanwhile, and connects when the broker appears', async () => {
    await broker.kill();
    const p = probe(broker.url);
    p.connection.start();
    await until(() => p.failedAttempts.length >= 2, 5000, 'retrying', p.logs);
    expect(p.connection.connected).toBe(false);
    await Promise.race([
      Promise.all([
        p.connection.publish('kv-test/down/retained', 'held-qos1', { retain: true, qos: 1 }).then(() => expect(p.connection.connected).toBe(true)),
        // Would overwrite the retained value if it were queued and sent after the QoS 1 message.
        p.connection.publish('kv-test/down/retained', 'dropped-qos0', { retain: true, qos: 0 }),
        broker.restart(),
      ]),
      new Promise((_, fail) => setTimeout(() => fail(new Error('the held message was not delivered within 5 s')), 5000)),
    ]);
    expect(p.connected).toEqual([{ protocolVersion: 5 }]);
    const watcher = await watch(broker.url, ['kv-test/down/retained']);
    expect(await watcher.waitFor(() => true, 3000, 'retained')).toMatchObject({ payload: 'held-qos1', retain: true });
    const warnings = p.logs.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(`cannot connect to MQTT broker ${broker.url}: connect ECONNREFUSED 127.0.0.1:${broker.port}`);
  });
});

describe('MqttConnection with no broker, or one that never answers', () => {
  it('close() stops the reconnect loop and settles held messages', async () => {
    const p = probe(`mqtt://127.0.0.1:${await freePort()}`);
    p.connection.start();
    const held = p.connection.publish('kv-test/nowhere', 'x', { qos: 1 });
    await until(() => p.failedAttempts.length >= 1, 5000, 'a failed attempt', p.logs);
    await p.connection.close();
    await held;
    const attempts = p.failedAttempts.length;
    // Longer than reconnectMaxMs: another attempt would have been made by now.
    await new Promise((done) => setTimeout(done, 600));
    expect(p.failedAttempts.length).toBe(attempts);
    expect(p.disconnected).toEqual([]);
  });

  it('close() forces the end after its timeout when the broker never acknowledges, settling what was in flight', async () => {
    // Accepts the MQTT 5 CONNECT and then never answers again: no PUBACK, no reply to DISCONNECT.
    const silent = createServer((socket) => socket.once('data', () => socket.write(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]))));
    const port = await freePort();
    await new Promise<void>((done) => silent.listen(port, '127.0.0.1', done));
    try {
      const p = probe(`mqtt://127.0.0.1:${port}`);
      p.connection.start();
      await until(() => p.connection.connected, 5000, 'connected', p.logs);
      let settled = false;
      const inFlight = p.connection.publish('kv-test/silent', 'x', { qos: 1 }).then(() => (settled = true));
      const closing = Date.now();
      await p.connection.close(300);
      const took = Date.now() - closing;
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(2000);
      await inFlight;
      expect(settled).toBe(true);
      expect(p.disconnected).toEqual([{ reason: 'closed' }]);
    } finally {
      silent.close();
    }
  });
});

describe('MqttConnection with TLS (a CA made by openssl) and a client certificate', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ tls: true });
  });
  afterAll(() => broker.stop());

  it('connects over mqtts:// with MQTT 5 when the CA verifies the broker', async () => {
    const [ca, cert, key] = await Promise.all([readFile(broker.ca!), readFile(broker.clientCert!), readFile(broker.clientKey!)]);
    const watcher = await watch(broker.url, ['kv-test/tls/#'], { ca: broker.ca! });
    const p = probe(broker.url, { tls: { ca, cert, key, rejectUnauthorized: true } });
    p.connection.start();
    await until(() => p.connection.connected, 5000, 'connected', p.logs);
    expect(p.connected).toEqual([{ protocolVersion: 5 }]);
    await p.connection.publish('kv-test/tls/state', 'idle', { retain: true, qos: 1 });
    expect(await watcher.waitFor(() => true, 3000, 'state')).toMatchObject({ payload: 'idle', retain: true });
  });

  it('without the CA, refuses the broker and says to check mqtt.tls.ca, staying on MQTT 5', async () => {
    const p = probe(broker.url, { tls: { rejectUnauthorized: true } });
    p.connection.start();
    await until(() => p.failedAttempts.length >= 1, 5000, 'a failed attempt', p.logs);
    expect(p.connection.connected).toBe(false);
    const warnings = p.logs.filter((l) => l.level === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('(check mqtt.tls.ca and the broker certificate)');
    expect(p.logs.some((l) => l.msg.includes('3.1.1'))).toBe(false);
  });
});

describe('MqttConnection with password auth', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto({ users: { kiosk: 'right-horse-battery' } });
  });
  afterAll(() => broker.stop());

  it('connects with the right password', async () => {
    const p = probe(broker.url, { username: 'kiosk', password: 'right-horse-battery' });
    p.connection.start();
    await until(() => p.connection.connected, 5000, 'connected', p.logs);
    expect(p.connected).toEqual([{ protocolVersion: 5 }]);
    expect(JSON.stringify(p.logs)).not.toContain('right-horse-battery');
  });

  it('keeps retrying with a wrong password, logging one warning that names the broker and never the password', async () => {
    const p = probe(broker.url, { username: 'kiosk', password: 'wrong-staple-7731' });
    p.connection.start();
    await until(() => p.failedAttempts.length >= 3, 5000, 'retrying', p.logs);
    expect(p.failedAttempts[0]!.reason).toBe('Connection refused: Not authorized');
    expect(p.connection.connected).toBe(false);
    expect(p.connected).toEqual([]);
    const warnings = p.logs.filter((l) => l.level >= WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(`cannot connect to MQTT broker ${broker.url}:`);
    expect(warnings[0]!.msg).toMatch(/not authorized/i);
    expect(warnings[0]!.msg).toContain('check mqtt.username and mqtt.password');
    expect(JSON.stringify(p.logs)).not.toContain('wrong-staple-7731');
  });

  it('takes credentials from the URL too and logs the URL without them', async () => {
    const p = probe(broker.url.replace('mqtt://', 'mqtt://kiosk:right-horse-battery@'));
    p.connection.start();
    await until(() => p.connection.connected, 5000, 'connected', p.logs);
    expect(p.logs.find((l) => l.level === INFO)?.msg).toBe(`MQTT connected to ${broker.url}`);
    expect(JSON.stringify(p.logs)).not.toContain('right-horse-battery');
  });
});

describe('MqttConnection with a broker that speaks only MQTT 3.1.1 (aedes)', () => {
  let aedes: Aedes;
  const servers: Server[] = [];
  const published: AedesPublishPacket[] = [];
  const clients: AedesClient[] = [];
  beforeAll(async () => {
    aedes = await Aedes.createBroker();
    aedes.on('publish', (packet, client) => client && published.push(packet));
    aedes.on('client', (client) => clients.push(client));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
    await new Promise<void>((done) => aedes.close(() => done()));
  });

  async function listen(handle: (socket: Socket) => void): Promise<string> {
    const port = await freePort();
    const server = createServer(handle);
    servers.push(server);
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    return `mqtt://127.0.0.1:${port}`;
  }

  it('falls back to 3.1.1 when the broker refuses MQTT 5 (return code 1), keeps 3.1.1 across reconnects, and sends no MQTT 5 properties', async () => {
    const url = await listen((socket) => aedes.handle(socket));
    const p = probe(url);
    p.connection.start();
    await until(() => p.connection.connected, 5000, 'connected', p.logs);
    expect(p.connected).toEqual([{ protocolVersion: 4 }]);
    expect(p.connection.protocolVersion).toBe(4);
    const fallback = p.logs.filter((l) => l.msg.includes('does not speak MQTT 5'));
    expect(fallback).toHaveLength(1);
    expect(fallback[0]!.level).toBe(INFO);
    expect(p.logs.filter((l) => l.level >= WARN)).toEqual([]);

    await p.connection.publish('kv-test/v4/telemetry', 'turn', { qos: 1, messageExpirySeconds: 30, correlationData: Buffer.from('x') });
    // A 3.1.1 parser would misread MQTT 5 properties as part of the payload.
    const packet = published.find((m) => m.topic === 'kv-test/v4/telemetry');
    expect(packet?.payload.toString()).toBe('turn');

    clients.find((c) => c.id === p.clientId)!.close();
    await until(() => p.connected.length === 2, 5000, 'reconnected', p.logs);
    expect(p.connected).toEqual([{ protocolVersion: 4 }, { protocolVersion: 4 }]);
    expect(p.logs.filter((l) => l.msg.includes('does not speak MQTT 5'))).toHaveLength(1);
  });

  it('falls back to 3.1.1 when the broker hangs up on an MQTT 5 CONNECT without a CONNACK', async () => {
    let hungUp = 0;
    const url = await listen((socket) => {
      socket.once('data', (chunk: Buffer) => {
        // CONNECT carries the protocol level right after the "MQTT" protocol name.
        const level = chunk[chunk.indexOf('MQTT') + 4];
        if (level === 5) {
          hungUp += 1;
          socket.destroy();
          return;
        }
        socket.pause();
        socket.unshift(chunk);
        aedes.handle(socket);
      });
    });
    const p = probe(url);
    p.connection.start();
    await until(() => p.connection.connected, 5000, 'connected', p.logs);
    expect(hungUp).toBe(1);
    expect(p.connected).toEqual([{ protocolVersion: 4 }]);
  });
});
