import { createRequire } from 'node:module';
import type { UnixDgramSocket } from 'unix-dgram';
import { KioskVoiceError } from '../errors.js';
import type { Logger } from '../logging/createLogger.js';

/** The unix-dgram addon does not load (built for another Node). */
export class NotifySocketError extends KioskVoiceError {}

/** Longest STATUS= text sent: systemctl shows one line, and a datagram has a size limit. */
const MAX_STATUS_LENGTH = 200;

/**
 * The sd_notify protocol (see sd_notify(3)): datagrams such as `READY=1` to the socket systemd
 * names in `NOTIFY_SOCKET`. Node core has no Unix datagram sockets, so this uses the unix-dgram
 * addon. Outside systemd (no `NOTIFY_SOCKET`) use {@link SystemdNotifier.fromEnvironment}, which
 * returns undefined, and skip notifying.
 */
export class SystemdNotifier {
  private lastStatus: string | undefined;
  private failures = 0;

  private constructor(
    private readonly socket: UnixDgramSocket,
    private readonly path: string,
    /** How often systemd wants `WATCHDOG=1`: WatchdogSec, or undefined when the unit has none. */
    readonly watchdogUsec: number | undefined,
    private readonly logger: Logger,
  ) {}

  /**
   * The notifier systemd asked for, or undefined when not started by systemd with Type=notify.
   * Throws {@link NotifySocketError} when systemd expects notifications but the addon cannot load:
   * without READY=1 the unit would time out at start-up, so that is better said at once.
   */
  static fromEnvironment(env: NodeJS.ProcessEnv, logger: Logger): SystemdNotifier | undefined {
    const path = env.NOTIFY_SOCKET;
    if (!path) return undefined;
    if (path.startsWith('@')) {
      logger.warn({ path }, 'NOTIFY_SOCKET is an abstract socket, which unix-dgram cannot reach; systemd will not hear from us');
      return undefined;
    }
    let socket: UnixDgramSocket;
    try {
      const unix = createRequire(import.meta.url)('unix-dgram') as typeof import('unix-dgram');
      socket = unix.createSocket('unix_dgram');
    } catch (error) {
      throw new NotifySocketError(
        `the unix-dgram addon for systemd notifications does not load on Node ${process.versions.node}: ${(error as Error).message}`,
        'rebuild it for this Node with `npm rebuild unix-dgram` in the install directory (scripts/install.sh does)',
      );
    }
    socket.on('error', () => {
      // Errors also reach send()'s callback, where they are counted; this keeps them from throwing.
    });
    const pid = env.WATCHDOG_PID === undefined ? process.pid : Number(env.WATCHDOG_PID);
    const usec = Number(env.WATCHDOG_USEC);
    const watchdogUsec = pid === process.pid && Number.isFinite(usec) && usec > 0 ? usec : undefined;
    return new SystemdNotifier(socket, path, watchdogUsec, logger);
  }

  /** Start-up is done: models loaded, audio open. */
  ready(status: string): void {
    this.send(`READY=1\nSTATUS=${oneLine(status)}`);
    this.lastStatus = oneLine(status);
  }

  /** The one-line summary `systemctl status` shows; sent only when it changed. */
  status(text: string): void {
    const line = oneLine(text);
    if (line === this.lastStatus) return;
    this.lastStatus = line;
    this.send(`STATUS=${line}`);
  }

  /** The pipeline is alive: systemd's watchdog timer starts over. */
  watchdog(): void {
    this.send('WATCHDOG=1');
  }

  /** Start-up (or shutdown) needs `ms` more from now; sent repeatedly while models load. */
  extendTimeout(ms: number): void {
    this.send(`EXTEND_TIMEOUT_USEC=${Math.round(ms * 1000)}`);
  }

  stopping(status: string): void {
    this.lastStatus = oneLine(status);
    this.send(`STOPPING=1\nSTATUS=${this.lastStatus}`);
  }

  close(): void {
    this.socket.close();
  }

  private send(message: string): void {
    const buffer = Buffer.from(message);
    this.socket.send(buffer, 0, buffer.length, this.path, (error) => {
      if (!error) return;
      // Said once and then counted: a missing socket would otherwise log on every ping.
      if (this.failures++ === 0) this.logger.warn({ err: error, path: this.path }, 'cannot notify systemd');
    });
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_STATUS_LENGTH);
}
