import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { KioskConfig } from '../config/schema.js';

/** The database file when `storage.path` is not set. */
export const DEFAULT_STORAGE_FILE = 'frontdesk.sqlite';

/**
 * Where the front-desk database lives. `storage.path` relative is taken against the state
 * directory — the first entry of `$STATE_DIRECTORY`, which systemd sets from `StateDirectory=` —
 * or the current directory when that is unset. With no `storage.path` it is `frontdesk.sqlite` in
 * the state directory, or outside systemd in the user's (`$XDG_STATE_HOME/kiosk-voice`, else
 * `~/.local/state/kiosk-voice`), never in whatever directory the kiosk was started from.
 * `:memory:` stays as is.
 */
export function resolveStoragePath(config: KioskConfig['storage'], env: NodeJS.ProcessEnv = process.env): string {
  // systemd joins several StateDirectory= entries with ':'; the first is the service's own.
  const stateDirectory = env.STATE_DIRECTORY?.split(':').find(Boolean);
  const path = config.path;
  if (path === undefined) return join(stateDirectory ?? userStateDirectory(env), DEFAULT_STORAGE_FILE);
  if (path === ':memory:' || isAbsolute(path)) return path;
  return resolve(stateDirectory ?? process.cwd(), path);
}

function userStateDirectory(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'kiosk-voice');
  return join(env.HOME || homedir(), '.local', 'state', 'kiosk-voice');
}
