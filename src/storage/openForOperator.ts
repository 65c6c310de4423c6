import { resolve } from 'node:path';
import { resolveConfig } from '../config/loadConfig.js';
import type { KioskConfig } from '../config/schema.js';
import { FrontDeskDatabase } from './FrontDeskDatabase.js';
import { resolveStoragePath } from './resolveStoragePath.js';

export interface OperatorOptions {
  /** The kiosk's config file (`--config`): its `storage.path` and `site` (zone, service names). */
  config?: string | undefined;
  /** `--db`: this database file instead of storage.path. */
  db?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/**
 * The database an operator command reads, opened read-only beside the running kiosk (WAL lets it
 * read while the kiosk writes), with the site it belongs to. The config is loaded as the service
 * loads it (file, then `KIOSK_VOICE__*` variables), so the same storage.path is found.
 */
export function openForOperator(options: OperatorOptions): { db: FrontDeskDatabase; site: KioskConfig['site'] } {
  const env = options.env ?? process.env;
  const { config } = resolveConfig({ file: options.config, env });
  const path = options.db !== undefined ? resolve(options.db) : resolveStoragePath(config.storage, env);
  return { db: FrontDeskDatabase.open(path, { readonly: true }), site: config.site };
}
