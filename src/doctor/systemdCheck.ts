import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_CHECK_TIMEOUT_MS, type CheckOutcome, type DoctorCheck } from './DoctorCheck.js';
import { runTool } from './runTool.js';

/** The unit scripts/install.sh installs. */
export const SERVICE = 'kiosk-voice.service';
const PROPERTIES = ['LoadState', 'ActiveState', 'SubState', 'Result', 'NRestarts', 'WatchdogUSec', 'UnitFileState', 'StatusText'] as const;

/** `Key=value` lines of `systemctl show` → a record. */
export function parseSystemctlShow(text: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) props[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return props;
}

const JOURNAL = `\`journalctl -u ${SERVICE} -b\` shows why`;

/** The service's state as `systemctl show` reports it, judged. */
export function judgeService(props: Record<string, string>): CheckOutcome {
  const { LoadState, ActiveState, SubState, Result, NRestarts, WatchdogUSec, UnitFileState, StatusText } = props;
  if (LoadState === 'not-found') return { status: 'warn', detail: `${SERVICE} is not installed`, advice: 'install it with `sudo scripts/install.sh`' };
  const restarts = Number.parseInt(NRestarts ?? '0', 10) || 0;
  const watchdog = !WatchdogUSec || WatchdogUSec === '0' ? 'no watchdog' : `watchdog ${WatchdogUSec}`;
  // StatusText is the daemon's own STATUS= line: its turn state, mic, turns, or what is unhealthy.
  const status = StatusText ? `; says "${StatusText}"` : '';
  const detail = `${ActiveState ?? '?'} (${SubState ?? '?'}), ${UnitFileState ?? 'unknown'} at boot, ${restarts} restart${restarts === 1 ? '' : 's'}, ${watchdog}${status}`;
  if (ActiveState === 'failed') return { status: 'fail', detail: `${detail}, result ${Result ?? '?'}`, advice: `${JOURNAL}; then \`sudo systemctl restart ${SERVICE}\`` };
  if (ActiveState === 'active') {
    if (StatusText?.startsWith('not healthy')) return { status: 'fail', detail, advice: `the pipeline is not alive; systemd restarts it if that lasts a WatchdogSec: ${JOURNAL}` };
    if (restarts > 0) return { status: 'warn', detail, advice: `it was restarted ${restarts} time${restarts === 1 ? '' : 's'}: ${JOURNAL}` };
    if (watchdog === 'no watchdog') return { status: 'warn', detail, advice: `a hang would go unnoticed: install the unit from systemd/${SERVICE} (it sets WatchdogSec=)` };
    return { status: 'ok', detail };
  }
  if (ActiveState === 'activating' || ActiveState === 'reloading') return { status: 'warn', detail, advice: `it is still starting: wait, then run doctor again (\`journalctl -u ${SERVICE} -f\`)` };
  return {
    status: 'warn',
    detail,
    advice: UnitFileState === 'enabled' ? `start it: \`sudo systemctl start ${SERVICE}\`` : `start it now and at boot: \`sudo systemctl enable --now ${SERVICE}\``,
  };
}

/**
 * The service under systemd. Only asked when systemd is the init system (/run/systemd/system
 * exists, as sd_booted() tests); in a container or on a machine without it, systemctl would only
 * print errors, so the line just says so.
 */
export const systemdCheck: DoctorCheck = {
  name: 'systemd',
  needsConfig: false,
  timeoutMs: () => DEFAULT_CHECK_TIMEOUT_MS,
  timeoutAdvice: 'systemctl hangs: systemd or D-Bus is stuck; look at `journalctl -b`',
  async run({ env }, signal) {
    if (!existsSync('/run/systemd/system')) return { status: 'ok', detail: `not running under systemd here (PID 1 is ${initName()})` };
    const run = await runTool('systemctl', ['show', SERVICE, '--no-pager', ...PROPERTIES.map((p) => `--property=${p}`)], { env: { ...env, SYSTEMD_PAGER: '' }, signal });
    if (run.missing) return { status: 'warn', detail: 'systemd runs, but systemctl is not on PATH', advice: 'check PATH (systemctl lives in /usr/bin)' };
    if (run.code !== 0) {
      return { status: 'warn', detail: `\`systemctl show ${SERVICE}\` failed: ${run.stderr.trim().split('\n')[0] || `exit code ${run.code}`}`, advice: 'run it by hand to see why' };
    }
    return judgeService(parseSystemctlShow(run.stdout));
  },
};

function initName(): string {
  try {
    return readFileSync('/proc/1/comm', 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}
