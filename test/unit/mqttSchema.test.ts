import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { configSchema } from '../../src/config/schema.js';
import { resolveDeviceId } from '../../src/telemetry/mqtt/deviceId.js';
import { MqttSettingsError, resolveBaseTopic, resolveMqttConnection } from '../../src/telemetry/mqtt/resolveMqttConnection.js';
import { configErrorLine } from '../helpers/configErrorLine.js';
import { useTempDirs } from '../helpers/tempDirs.js';
import { thrown } from '../helpers/thrown.js';

const tempDir = useTempDirs('kv-mqtt-schema-');

function configFile(text: string): string {
  const path = join(tempDir(), 'config.yaml');
  writeFileSync(path, text);
  return path;
}

describe('mqtt settings', () => {
  it('are off with every documented default when nothing is set', () => {
    const config = loadConfig({ env: {} });
    expect(config.deviceId).toBeUndefined();
    expect(config.mqtt).toEqual({
      tls: { rejectUnauthorized: true },
      keepaliveSeconds: 30,
      connectTimeoutMs: 10_000,
      reconnectMinMs: 1000,
      reconnectMaxMs: 30_000,
      healthSeconds: 30,
      summarySeconds: 60,
      summaryWindowTurns: 200,
      telemetryExpirySeconds: 60,
      publishTranscripts: false,
      discovery: { enabled: true, prefix: 'homeassistant' },
      commands: { enabled: true, perMinute: 30 },
    });
  });

  it('take a broker, credentials and TLS files from a file and the environment', () => {
    const path = configFile('deviceId: lobby-1\nmqtt:\n  url: mqtts://broker.local:8883\n  username: kiosk\n  tls:\n    ca: /etc/kiosk/ca.crt\n');
    const config = loadConfig({ file: path, env: { KIOSK_VOICE__MQTT__PASSWORD: 'from-env', KIOSK_VOICE__MQTT__PUBLISH_TRANSCRIPTS: 'true' } });
    expect(config.deviceId).toBe('lobby-1');
    expect(config.mqtt).toMatchObject({ url: 'mqtts://broker.local:8883', username: 'kiosk', password: 'from-env', publishTranscripts: true, tls: { ca: '/etc/kiosk/ca.crt', rejectUnauthorized: true } });
  });

  it.each(['http://broker.local', 'broker.local:1883', 'ws://broker.local/mqtt'])('refuses the URL %j in one line saying what is allowed', (url) => {
    const line = configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__MQTT__URL: url } }));
    expect(line).toContain('(environment KIOSK_VOICE__MQTT__URL): mqtt.url: must start with mqtt:// or mqtts://');
  });

  it('refuses unknown mqtt settings and wildcard topics', () => {
    expect(configErrorLine(() => loadConfig({ file: configFile('mqtt:\n  host: broker\n'), env: {} }))).toContain('mqtt: unknown setting "host"');
    expect(configErrorLine(() => loadConfig({ file: configFile('mqtt:\n  tls:\n    verify: false\n'), env: {} }))).toContain('mqtt.tls: unknown setting "verify"');
    expect(configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__MQTT__BASE_TOPIC: 'kiosk/#' } }))).toContain('mqtt.baseTopic: a topic without "+", "#"');
    expect(configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__MQTT__DISCOVERY__PREFIX: '/homeassistant' } }))).toContain('mqtt.discovery.prefix: a topic without');
  });

  it('refuses a client certificate without its key, and a key without its certificate, naming where each came from', () => {
    const path = configFile('mqtt:\n  url: mqtts://broker:8883\n  tls:\n    cert: /etc/kiosk/client.crt\n');
    const line = configErrorLine(() => loadConfig({ file: path, env: {} }));
    expect(line).toContain('mqtt.tls.cert: a client certificate needs its key: set mqtt.tls.key too');
    expect(line).toContain(`mqtt.tls.cert from config file ${path}, mqtt.tls.key from built-in default`);

    const keyOnly = configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__MQTT__URL: 'mqtts://broker:8883', KIOSK_VOICE__MQTT__TLS__KEY: '/k.pem' } }));
    expect(keyOnly).toContain('mqtt.tls.key: a client key needs its certificate: set mqtt.tls.cert too');
  });

  it('accepts a certificate and its key from different layers', () => {
    const path = configFile('mqtt:\n  url: mqtts://broker:8883\n  tls:\n    cert: /etc/kiosk/client.crt\n');
    const config = loadConfig({ file: path, env: { KIOSK_VOICE__MQTT__TLS__KEY: '/etc/kiosk/client.key' } });
    expect(config.mqtt.tls).toEqual({ cert: '/etc/kiosk/client.crt', key: '/etc/kiosk/client.key', rejectUnauthorized: true });
  });

  it('refuses a password and a password file together without showing the password', () => {
    const path = configFile('mqtt:\n  url: mqtt://broker\n  passwordFile: /etc/kiosk/mqtt.pass\n');
    const line = configErrorLine(() => loadConfig({ file: path, env: { KIOSK_VOICE__MQTT__PASSWORD: 'hunter2-secret' } }));
    expect(line).toContain('mqtt.password: set either mqtt.password or mqtt.passwordFile, not both');
    expect(line).toContain(`mqtt.password from environment KIOSK_VOICE__MQTT__PASSWORD, mqtt.passwordFile from config file ${path}`);
    expect(line).not.toContain('hunter2');
  });

  it('refuses TLS files with a plain mqtt:// URL and a reconnect minimum above the maximum', () => {
    expect(configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__MQTT__URL: 'mqtt://broker', KIOSK_VOICE__MQTT__TLS__CA: '/ca.crt' } }))).toContain(
      'mqtt.url: TLS files are set but the URL is plain mqtt://: use mqtts://',
    );
    expect(configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__MQTT__RECONNECT_MIN_MS: '5000', KIOSK_VOICE__MQTT__RECONNECT_MAX_MS: '2000' } }))).toContain(
      'mqtt.reconnectMinMs: 5000 must not be more than mqtt.reconnectMaxMs (2000)',
    );
  });

  it.each(['lobby-1', 'KIOSK_2', 'a', 'x'.repeat(64)])('accepts the device id %j', (deviceId) => {
    expect(configSchema.parse({ deviceId }).deviceId).toBe(deviceId);
  });

  it.each(['', 'lobby.1', 'kiosk/1', 'lobby 1', 'kiosk+', '#', 'x'.repeat(65), 'café'])('refuses the device id %j', (deviceId) => {
    expect(configErrorLine(() => loadConfig({ env: { KIOSK_VOICE__DEVICE_ID: deviceId } }))).toContain('deviceId: use 1–64 letters, digits, "-" and "_"');
  });
});

describe('resolveDeviceId', () => {
  it('uses deviceId when set', () => {
    expect(resolveDeviceId({ deviceId: 'front-desk' }, 'raspberrypi')).toBe('front-desk');
  });

  it.each([
    ['raspberrypi', 'raspberrypi'],
    ['kiosk.lobby.example.com', 'kiosklobbyexamplecom'],
    ['Lobby_Kiosk-2', 'Lobby_Kiosk-2'],
    ['kiosk #3 (hall)', 'kiosk3hall'],
    ['...', 'kiosk'],
    ['', 'kiosk'],
    ['k'.repeat(80), 'k'.repeat(64)],
  ])('reduces the hostname %j to %j, an id the schema accepts', (hostname, id) => {
    const deviceId = resolveDeviceId({}, hostname);
    expect(deviceId).toBe(id);
    expect(configSchema.parse({ deviceId }).deviceId).toBe(id);
  });
});

describe('resolveMqttConnection', () => {
  const withMqtt = (mqtt: object, deviceId?: string) => configSchema.parse({ mqtt, ...(deviceId ? { deviceId } : {}) });

  it('names the client and the base topic after the device', () => {
    const config = withMqtt({ url: 'mqtt://broker:1883', username: 'kiosk', password: 'pw', keepaliveSeconds: 15 });
    expect(resolveMqttConnection(config, {}, 'lobby.local')).toEqual({
      url: 'mqtt://broker:1883',
      clientId: 'kiosk-voice-lobbylocal',
      username: 'kiosk',
      password: 'pw',
      keepaliveSeconds: 15,
      connectTimeoutMs: 10_000,
      reconnectMinMs: 1000,
      reconnectMaxMs: 30_000,
    });
    expect(resolveBaseTopic(config, 'lobby.local')).toBe('kiosk/lobbylocal');
    expect(resolveBaseTopic(withMqtt({ url: 'mqtt://b' }, 'desk-2'), 'ignored')).toBe('kiosk/desk-2');
    expect(resolveBaseTopic(withMqtt({ url: 'mqtt://b', baseTopic: 'site/hall/kiosk' }, 'desk-2'))).toBe('site/hall/kiosk');
  });

  it('reads the TLS files and the first line of the password file', () => {
    const dir = tempDir();
    for (const name of ['ca.crt', 'client.crt', 'client.key']) writeFileSync(join(dir, name), `PEM of ${name}\n`);
    writeFileSync(join(dir, 'mqtt.pass'), 's3cret\nignored second line\n');
    const config = withMqtt({
      url: 'mqtts://broker:8883',
      passwordFile: join(dir, 'mqtt.pass'),
      tls: { ca: join(dir, 'ca.crt'), cert: join(dir, 'client.crt'), key: join(dir, 'client.key'), rejectUnauthorized: false },
    });
    const resolved = resolveMqttConnection(config, {}, 'k1');
    expect(resolved.password).toBe('s3cret');
    expect(resolved.tls).toEqual({ ca: Buffer.from('PEM of ca.crt\n'), cert: Buffer.from('PEM of client.crt\n'), key: Buffer.from('PEM of client.key\n'), rejectUnauthorized: false });
  });

  it('resolves relative files against $CREDENTIALS_DIRECTORY (systemd LoadCredential=)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'mqtt-password'), 'from-credential\r\n');
    const config = withMqtt({ url: 'mqtt://broker', passwordFile: 'mqtt-password' });
    expect(resolveMqttConnection(config, { CREDENTIALS_DIRECTORY: dir }, 'k1').password).toBe('from-credential');
  });

  it('has no TLS options for a plain mqtt:// broker', () => {
    expect(resolveMqttConnection(withMqtt({ url: 'mqtt://broker' }), {}, 'k1').tls).toBeUndefined();
  });

  it('names the setting and the file it cannot read, with what to do', () => {
    const dir = tempDir();
    const missing = thrown(MqttSettingsError, () => resolveMqttConnection(withMqtt({ url: 'mqtts://broker', tls: { ca: join(dir, 'nope.crt') } }), {}, 'k1'));
    expect(missing.toUserLine()).toBe(`cannot read mqtt.tls.ca ${join(dir, 'nope.crt')}: no such file — check mqtt.tls.ca and that the user the kiosk runs as can read the file`);

    const empty = join(dir, 'empty.pass');
    writeFileSync(empty, '\nsecond\n');
    const blank = thrown(MqttSettingsError, () => resolveMqttConnection(withMqtt({ url: 'mqtt://broker', passwordFile: empty }), {}, 'k1'));
    expect(blank.message).toContain('is empty: its first line must be the password');

    const folder = join(dir, 'a-directory');
    mkdirSync(folder);
    const notFile = thrown(MqttSettingsError, () => resolveMqttConnection(withMqtt({ url: 'mqtts://broker', tls: { cert: folder, key: folder } }), {}, 'k1'));
    expect(notFile.message).toBe(`cannot read mqtt.tls.cert ${folder}: EISDIR`);
  });

  it('refuses to resolve when MQTT is off', () => {
    expect(thrown(MqttSettingsError, () => resolveMqttConnection(configSchema.parse({}), {}, 'k1')).toUserLine()).toContain('set mqtt.url');
  });

  it('never puts the password into an error about another file', () => {
    const dir = tempDir();
    const secret = join(dir, 'secret.pass');
    writeFileSync(secret, 'topsecret');
    const config = withMqtt({ url: 'mqtts://broker', passwordFile: secret, tls: { ca: join(dir, 'missing-ca.crt') } });
    const error = thrown(MqttSettingsError, () => resolveMqttConnection(config, {}, 'k1'));
    expect(error.toUserLine()).toContain('cannot read mqtt.tls.ca');
    expect(error.toUserLine()).not.toContain('topsecret');
  });
});
