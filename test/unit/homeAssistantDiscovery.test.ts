import { describe, expect, it } from 'vitest';
import { discoveryPayload, discoveryTopic } from '../../src/telemetry/mqtt/homeAssistantDiscovery.js';
import { TURN_STAGES } from '../../src/telemetry/turnStages.js';

const base = 'kiosk/lobby-1';
const payload = discoveryPayload({ deviceId: 'lobby-1', baseTopic: base, version: '0.1.0' });
const components = Object.entries(payload.cmps);

describe('Home Assistant device discovery', () => {
  it('is published on the device discovery topic', () => {
    expect(discoveryTopic('homeassistant', 'lobby-1')).toBe('homeassistant/device/lobby-1/config');
  });

  it('has the required device and origin blocks and availability', () => {
    expect(payload.dev).toEqual({ ids: ['lobby-1'], name: 'Kiosk lobby-1', mf: 'kiosk-voice', mdl: 'Voice kiosk', sw: '0.1.0' });
    expect(payload.o.name).toBe('kiosk-voice');
    expect(payload.o.sw).toBe('0.1.0');
    expect(payload.avty_t).toBe(`${base}/availability`);
    expect(discoveryPayload({ deviceId: 'lobby-1', baseTopic: base, version: '0.1.0', deviceName: 'Lobby kiosk' }).dev.name).toBe('Lobby kiosk');
  });

  it('gives every component a platform and a unique id made of the device id and the component', () => {
    expect(components.length).toBeGreaterThan(10);
    for (const [id, component] of components) {
      expect(['sensor', 'binary_sensor', 'button', 'switch', 'number']).toContain(component.p);
      expect(component.unique_id).toBe(`lobby-1_${id}`);
      expect(component.name).not.toBe('');
    }
    const ids = components.map(([, c]) => c.unique_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reads state, latency and health from the kiosk’s own topics', () => {
    expect(payload.cmps.state).toMatchObject({ p: 'sensor', stat_t: `${base}/state`, val_tpl: '{{ value_json.state }}' });
    expect(payload.cmps.e2e_p50).toMatchObject({ stat_t: `${base}/telemetry/summary`, unit_of_meas: 'ms' });
    expect(payload.cmps.e2e_p95?.val_tpl).toContain("'p95'");
    for (const { name } of TURN_STAGES.filter((s) => s.name !== 'endOfSpeechToFirstAudio')) {
      const sensor = components.find(([, c]) => c.val_tpl?.includes(`'${name}'`));
      expect(sensor, name).toBeDefined();
      expect(sensor?.[1].val_tpl).toContain("'p50'");
    }
    const diagnostics = components.filter(([, c]) => c.ent_cat === 'diagnostic').map(([id, c]) => [id, c.stat_t]);
    expect(diagnostics).toEqual(['uptime', 'cpu_temperature', 'mic_frames_per_second', 'mic_xruns', 'memory_rss', 'load_1m'].map((id) => [id, `${base}/health`]));
    expect(payload.cmps.volume).toMatchObject({ stat_t: `${base}/health`, val_tpl: '{{ value_json.volume }}', min: 0, max: 2, step: 0.05 });
    expect(payload.cmps.wake_threshold).toMatchObject({ stat_t: `${base}/health`, val_tpl: '{{ value_json.wakeThreshold }}', min: 0.05, max: 0.95 });
    expect(payload.cmps.mute).toMatchObject({ p: 'switch', stat_t: `${base}/state`, stat_on: 'ON', stat_off: 'OFF' });
  });

  it('sends every command to a request topic under the base, as JSON', () => {
    const commands = components.filter(([, c]) => c.cmd_t !== undefined);
    expect(commands.map(([, c]) => c.cmd_t).sort()).toEqual(
      ['mute', 'restart_pipeline', 'set_config', 'start_listening', 'volume'].map((cmd) => `${base}/request/${cmd}`),
    );
    for (const [, c] of commands) {
      for (const fixed of [c.pl_prs, c.pl_on, c.pl_off]) if (fixed !== undefined) expect(() => JSON.parse(fixed)).not.toThrow();
      if (c.cmd_tpl !== undefined) expect(() => JSON.parse(c.cmd_tpl!.replace('{{ value }}', '0.5'))).not.toThrow();
    }
    expect(JSON.parse(payload.cmps.mute!.pl_on!)).toEqual({ muted: true });
    expect(JSON.parse(payload.cmps.mute!.pl_off!)).toEqual({ muted: false });
    expect(JSON.parse(payload.cmps.volume!.cmd_tpl!.replace('{{ value }}', '0.5'))).toEqual({ volume: 0.5 });
    expect(JSON.parse(payload.cmps.wake_threshold!.cmd_tpl!.replace('{{ value }}', '0.5'))).toEqual({ config: { turn: { wake: { threshold: 0.5 } } }, restart: true });
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
  });
});
