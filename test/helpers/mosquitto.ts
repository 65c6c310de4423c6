/**
 * A real broker per test file: Debian's mosquitto on a free 127.0.0.1 port with its own temp
 * config (aedes does not speak MQTT 5), optionally with TLS (a CA, server and client certificates
 * made by openssl now) and a password file. `mqttWatcher` is an independent MQTT 5 client that
 * records what the broker delivers.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync, type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 5000;

export interface Mosquitto {
  port: number;
  url: string;
  /** The broker's temp dir (config, certificates, password file); removed by stop(). */
  dir: string;
  /** CA certificate path (TLS only). */
  ca?: string;
  clientCert?: string;
  clientKey?: string;
  /** Stops the broker for good and removes its dir. */
  stop(): Promise<void>;
  /** SIGKILL: clients see their connections drop; restart() brings it back. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same config. */
  restart(): Promise<void>;
}

export interface MosquittoOptions {
  tls?: boolean;
  /** user → password, written with mosquitto_passwd. */
  users?: Record<string, string>;
  /** Default: only when no users are given. */
  allowAnonymous?: boolean;
  /** A port chosen beforehand (e.g. for a kiosk started while the broker is down); default: a free one. */
  port?: number;
}

function mosquittoBinary(): string {
  const binary = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((path) => existsSync(path));
  if (!binary) throw new Error('mosquitto is not installed (apt-get install mosquitto mosquitto-clients): the MQTT tests need a real broker');
  return binary;
}

/** A port nothing listens on right now: bind port 0, read the port, close. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('could not find a free port');
  return address.port;
}

const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = kiosk-voice test CA
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
subjectAltName = IP:127.0.0.1,DNS:localhost
extendedKeyUsage = serverAuth
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
`;

interface Certificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function makeCertificates(dir: string): Promise<Certificates> {
  const config = join(dir, 'openssl.cnf');
  await writeFile(config, OPENSSL_CONFIG);
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  await openssl(['req', '-x509', '-config', config, '-extensions', 'ca', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2']);
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'kiosk-voice-test-client'],
  ] as const) {
    await openssl(['req', '-new', '-config', config, ...ec, '-subj', `/CN=${cn}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`)]);
    await openssl(['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', config, '-extensions', name, '-out', file(`${name}.crt`)]);
  }
  return { ca: file('ca.crt'), serverCert: file('server.crt'), serverKey: file('server.key'), clientCert: file('client.crt'), clientKey: file('client.key') };
}

function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Starts mosquitto and resolves once its port accepts connections; throws with its stderr if it does not come up. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const binary = mosquittoBinary();
  const dir = await mkdtemp(join(tmpdir(), 'kiosk-mosquitto-'));
  const port = options.port ?? (await freePort());
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.allowAnonymous ?? !options.users}`,
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'connection_messages true',
  ];
  // As root, mosquitto drops to the user "mosquitto", which cannot read the key files in our temp dir.
  if (process.getuid?.() === 0) lines.push('user root');
  let certificates: Certificates | undefined;
  if (options.tls) {
    certificates = await makeCertificates(dir);
    lines.push(`cafile ${certificates.ca}`, `certfile ${certificates.serverCert}`, `keyfile ${certificates.serverKey}`, 'require_certificate false');
  }
  if (options.users) {
    const passwords = join(dir, 'passwd');
    let first = true;
    for (const [user, password] of Object.entries(options.users)) {
      await run('mosquitto_passwd', [...(first ? ['-c'] : []), '-b', passwords, user, password]);
      first = false;
    }
    lines.push(`password_file ${passwords}`);
  }
  const config = join(dir, 'mosquitto.conf');
  await writeFile(config, `${lines.join('\n')}\n`);

  let child: ChildProcess | undefined;
  let stderr = '';
  const launch = async () => {
    stderr = '';
    const started = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = started;
    started.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let exited: string | undefined;
    started.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    started.once('error', (error) => (exited = error.message));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await portAccepts(port))) {
      if (exited !== undefined || Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`mosquitto did not come up on 127.0.0.1:${port} (${exited ?? `not listening after ${READY_TIMEOUT_MS} ms`}):\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const end = async (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const broker: Mosquitto = {
    port,
    url: `${options.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dir,
    stop: async () => {
      await end('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGTERM');
      await launch();
    },
  };
  if (certificates) Object.assign(broker, { ca: certificates.ca, clientCert: certificates.clientCert, clientKey: certificates.clientKey });
  return broker;
}

export interface WatchedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** MQTT 5 properties as delivered (messageExpiryInterval, responseTopic, correlationData…). */
  properties?: object;
}

export interface MqttWatcher {
  messages: WatchedMessage[];
  /** Resolves with the first message (seen or to come) that matches, or rejects listing what arrived. */
  waitFor(match: (message: WatchedMessage) => boolean, timeoutMs: number, what: string): Promise<WatchedMessage>;
  publish(topic: string, payload: string | Buffer, options?: IClientPublishOptions): Promise<void>;
  close(): Promise<void>;
}

/**
 * An MQTT 5 client subscribed to `filters` that records every message. It reconnects and
 * resubscribes by itself, so it outlives a broker kill and restart.
 */
export async function mqttWatcher(url: string, filters: string[], options: { ca?: string; username?: string; password?: string } = {}): Promise<MqttWatcher> {
  const clientOptions: IClientOptions = { protocolVersion: 5, reconnectPeriod: 200, connectTimeout: 3000, clientId: `watcher-${process.pid}-${Math.random().toString(16).slice(2, 10)}` };
  if (options.ca) clientOptions.ca = await readFile(options.ca);
  if (options.username !== undefined) clientOptions.username = options.username;
  if (options.password !== undefined) clientOptions.password = options.password;
  const client: MqttClient = await connectAsync(url, clientOptions);
  client.on('error', () => {
    // Reconnects are automatic; a broker being restarted is expected here.
  });
  const messages: WatchedMessage[] = [];
  let waiters: { match: (m: WatchedMessage) => boolean; resolve: (m: WatchedMessage) => void }[] = [];
  client.on('message', (topic, payload, packet) => {
    const message: WatchedMessage = { topic, payload: payload.toString('utf8'), retain: packet.retain };
    if (packet.properties) message.properties = packet.properties;
    messages.push(message);
    waiters = waiters.filter((waiter) => (waiter.match(message) ? (waiter.resolve(message), false) : true));
  });
  // Retain-as-published: a live delivery shows the publisher's retain flag, as a late subscriber would see it.
  if (filters.length > 0) await client.subscribeAsync(filters, { qos: 1, rap: true });
  return {
    messages,
    waitFor(match, timeoutMs, what) {
      const seen = messages.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter.match !== match);
          reject(new Error(`no MQTT message "${what}" within ${timeoutMs} ms; got:\n${messages.map((m) => `${m.topic} ${m.retain ? '(retained) ' : ''}${m.payload.slice(0, 200)}`).join('\n')}`));
        }, timeoutMs);
        waiters.push({ match, resolve: (message) => (clearTimeout(timer), resolve(message)) });
      });
    },
    publish: async (topic, payload, publishOptions = {}) => {
      await client.publishAsync(topic, payload, publishOptions);
    },
    close: () => client.endAsync(true),
  };
}
