import { hostname as osHostname } from 'node:os';
import type { KioskConfig } from '../../config/schema.js';

/** The longest device id the schema accepts; a longer hostname is cut to it. */
const MAX_DEVICE_ID_LENGTH = 64;

/**
 * This kiosk's id in topics, Home Assistant and the MQTT client id: `deviceId` when set, otherwise
 * the hostname without the characters an id may not hold (`kiosk.lobby` → `kiosklobby`), or
 * `kiosk` when nothing is left. Two kiosks with the same id take each other's MQTT session over,
 * so a fleet of identically named Pis needs `deviceId` set.
 */
export function resolveDeviceId(config: Pick<KioskConfig, 'deviceId'>, hostname: string = osHostname()): string {
  if (config.deviceId !== undefined) return config.deviceId;
  return hostname.replace(/[^A-Za-z0-9_-]/g, '').slice(0, MAX_DEVICE_ID_LENGTH) || 'kiosk';
}
