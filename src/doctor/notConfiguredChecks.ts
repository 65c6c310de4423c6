import { DEFAULT_CHECK_TIMEOUT_MS, type DoctorCheck } from './DoctorCheck.js';

/**
 * A part of the kiosk this version has no settings for yet. The schema (src/config/schema.ts) is
 * strict, so a config that loaded has no such section and the answer is always "not configured".
 * The change that adds the section replaces this with a real check in doctorChecks.ts.
 */
function notConfigured(name: string, what: string): DoctorCheck {
  return {
    name,
    needsConfig: true,
    timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
    timeoutAdvice: 'this check does no I/O; report it',
    run: async () => ({ status: 'ok', detail: `not configured (${what})` }),
  };
}

/** MQTT telemetry and management: there is no `mqtt:` section in the configuration yet. */
export const mqttCheck = notConfigured('mqtt', 'the configuration has no mqtt section');
