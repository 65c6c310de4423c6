import type { Transaction } from './commandRequests.js';

/** What a command came to: `data` for an answer, `error` one line saying why it was refused or failed. */
export type CommandResult = { status: 'ok'; data?: unknown } | { status: 'error'; error: string };

/**
 * The JSON answer on `<baseTopic>/response/<command>` (and on an MQTT 5 response topic):
 * `{"status":"ok"|"error","data"?,"error"?,"transaction"?}`, with the caller's transaction echoed.
 */
export function commandResponse(result: CommandResult, transaction?: Transaction): string {
  const response: Record<string, unknown> = { status: result.status };
  if (result.status === 'ok') {
    if (result.data !== undefined) response.data = result.data;
  } else {
    response.error = result.error;
  }
  if (transaction !== undefined) response.transaction = transaction;
  return JSON.stringify(response);
}
