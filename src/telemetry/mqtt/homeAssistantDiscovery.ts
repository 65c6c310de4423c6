import { TURN_STAGES } from '../turnStages.js';

/** One entity in a device discovery message, with Home Assistant's abbreviated keys. */
export interface DiscoveryComponent {
  p: 'sensor' | 'binary_sensor' | 'button' | 'switch' | 'number';
  unique_id: string;
  name: string;
  stat_t?: string;
  val_tpl?: string;
  unit_of_meas?: string;
  dev_cla?: string;
  stat_cla?: 'measurement' | 'total_increasing';
  ent_cat?: 'diagnostic' | 'config';
  cmd_t?: string;
  cmd_tpl?: string;
  pl_on?: string;
  pl_off?: string;
  stat_on?: string;
  stat_off?: string;
  pl_prs?: string;
  min?: number;
  max?: number;
  step?: number;
  mode?: 'box' | 'slider';
}

/** The retained message that makes a kiosk appear in Home Assistant as one device. */
export interface DiscoveryPayload {
  dev: { ids: string[]; name: string; mf: string; mdl: string; sw: string };
  o: { name: string; sw: string };
  avty_t: string;
  qos: 0 | 1;
  cmps: Record<string, DiscoveryComponent>;
}

/** Input for discoveryPayload. */
export interface DiscoveryInput {
  deviceId: string;
  baseTopic: string;
  version: string;
  /** What Home Assistant calls the device; `Kiosk <deviceId>` when unset. */
  deviceName?: string;
}

/** Home Assistant's device discovery topic (2024.11+): one message for all the device's entities. */
export function discoveryTopic(prefix: string, deviceId: string): string {
  return `${prefix}/device/${deviceId}/config`;
}

const ACRONYMS = new Set(['asr', 'llm', 'tts', 'vad']);

/** `endOfSpeechToAsrFinal` → `end_of_speech_to_asr_final`. */
const snakeCase = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `endOfSpeechToAsrFinal` → `End of speech to ASR final`. */
function label(name: string): string {
  const words = snakeCase(name)
    .split('_')
    .map((word) => (ACRONYMS.has(word) ? word.toUpperCase() : word));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Home Assistant reads a missing key as an error; `.get()` renders `None` instead, which an MQTT
 * sensor shows as unknown. The summary leaves out stages no recent turn had, so this is needed.
 */
const summaryValue = (stage: string, stat: 'p50' | 'p95') => `{{ value_json.stages.get('${stage}', {}).get('${stat}') }}`;

const E2E_STAGE = 'endOfSpeechToFirstAudio';

/**
 * The device discovery message: the turn state, end-to-end and per-stage latency percentiles,
 * health values as diagnostics, and the controls (start listening, restart, mute, volume, wake
 * sensitivity), each command published to the kiosk's own `<base>/request/<cmd>` topic.
 */
export function discoveryPayload(input: DiscoveryInput): DiscoveryPayload {
  const { deviceId, baseTopic: base, version } = input;
  const state = `${base}/state`;
  const summary = `${base}/telemetry/summary`;
  const health = `${base}/health`;
  const request = (command: string) => `${base}/request/${command}`;

  const components: Record<string, Omit<DiscoveryComponent, 'unique_id'>> = {
    state: { p: 'sensor', name: 'State', stat_t: state, val_tpl: '{{ value_json.state }}' },
  };
  const latency = (stage: string, stat: 'p50' | 'p95', name: string): Omit<DiscoveryComponent, 'unique_id'> => ({
    p: 'sensor',
    name,
    stat_t: summary,
    val_tpl: summaryValue(stage, stat),
    unit_of_meas: 'ms',
    dev_cla: 'duration',
    stat_cla: 'measurement',
  });
  components.e2e_p50 = latency(E2E_STAGE, 'p50', 'End of speech to first audio p50');
  components.e2e_p95 = latency(E2E_STAGE, 'p95', 'End of speech to first audio p95');
  for (const { name } of TURN_STAGES) {
    if (name !== E2E_STAGE) components[`${snakeCase(name)}_p50`] = latency(name, 'p50', `${label(name)} p50`);
  }

  const diagnostic = (name: string, valTpl: string, extra: Partial<DiscoveryComponent> = {}): Omit<DiscoveryComponent, 'unique_id'> => ({
    p: 'sensor',
    name,
    stat_t: health,
    val_tpl: valTpl,
    ent_cat: 'diagnostic',
    ...extra,
  });
  components.uptime = diagnostic('Uptime', '{{ value_json.uptimeSeconds }}', { unit_of_meas: 's', dev_cla: 'duration', stat_cla: 'total_increasing' });
  // Absent where the machine exposes no thermal zone.
  components.cpu_temperature = diagnostic('CPU temperature', "{{ value_json.cpu.get('temperatureC') }}", { unit_of_meas: '°C', dev_cla: 'temperature', stat_cla: 'measurement' });
  components.mic_frames_per_second = diagnostic('Microphone frames per second', '{{ value_json.mic.framesPerSecond }}', { unit_of_meas: 'frames/s', stat_cla: 'measurement' });
  components.mic_xruns = diagnostic('Microphone overruns', '{{ value_json.mic.xruns }}', { stat_cla: 'total_increasing' });
  components.memory_rss = diagnostic('Memory (RSS)', '{{ value_json.memory.rssBytes }}', { unit_of_meas: 'B', dev_cla: 'data_size', stat_cla: 'measurement' });
  components.load_1m = diagnostic('Load (1 min)', '{{ value_json.load[0] }}', { stat_cla: 'measurement' });

  components.start_listening = { p: 'button', name: 'Start listening', cmd_t: request('start_listening'), pl_prs: '{}' };
  components.restart_pipeline = { p: 'button', name: 'Restart pipeline', cmd_t: request('restart_pipeline'), pl_prs: '{}', dev_cla: 'restart', ent_cat: 'config' };
  components.mute = {
    p: 'switch',
    name: 'Mute',
    cmd_t: request('mute'),
    pl_on: '{"muted":true}',
    pl_off: '{"muted":false}',
    stat_t: state,
    // The state topic carries the turn state, not the switch payloads: map it to ON/OFF.
    val_tpl: "{{ 'ON' if value_json.state == 'muted' else 'OFF' }}",
    stat_on: 'ON',
    stat_off: 'OFF',
  };
  components.volume = {
    p: 'number',
    name: 'Volume',
    cmd_t: request('volume'),
    cmd_tpl: '{"volume": {{ value }}}',
    stat_t: health,
    val_tpl: '{{ value_json.volume }}',
    min: 0,
    max: 2,
    step: 0.05,
    mode: 'slider',
  };
  components.wake_threshold = {
    p: 'number',
    name: 'Wake threshold',
    // Saved to the config file like any set_config, then applied by restarting the pipeline.
    cmd_t: request('set_config'),
    cmd_tpl: '{"config":{"turn":{"wake":{"threshold": {{ value }}}}},"restart":true}',
    stat_t: health,
    val_tpl: '{{ value_json.wakeThreshold }}',
    min: 0.05,
    max: 0.95,
    step: 0.05,
    mode: 'slider',
    ent_cat: 'config',
  };

  return {
    dev: { ids: [deviceId], name: input.deviceName ?? `Kiosk ${deviceId}`, mf: 'kiosk-voice', mdl: 'Voice kiosk', sw: version },
    o: { name: 'kiosk-voice', sw: version },
    avty_t: `${base}/availability`,
    qos: 1,
    cmps: Object.fromEntries(Object.entries(components).map(([id, component]) => [id, { ...component, unique_id: `${deviceId}_${id}` }])),
  };
}
