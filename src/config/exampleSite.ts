import { fileURLToPath } from 'node:url';
import { readConfigFile } from './readConfigFile.js';
import type { KioskConfigInput } from './schema.js';

/** The example config shipped with the package; its `site` is the demo's front desk. */
export const EXAMPLE_CONFIG_FILE = fileURLToPath(new URL('../../systemd/config.example.yaml', import.meta.url));

/**
 * The example clinic of systemd/config.example.yaml, for the demo and the bench when no config
 * file is given: hours, services, FAQ and guides to talk to without writing a site first.
 */
export function exampleSite(): KioskConfigInput['site'] {
  return (readConfigFile(EXAMPLE_CONFIG_FILE) as { site: KioskConfigInput['site'] }).site;
}
