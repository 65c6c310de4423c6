/** The part of unix-dgram 2.0.7 that the systemd notifier uses (the package ships no types). */
declare module 'unix-dgram' {
  import type { EventEmitter } from 'node:events';

  interface UnixDgramSocket extends EventEmitter {
    /** Sends one datagram to `path` synchronously; the callback gets the errno error, if any. */
    send(buf: Buffer, offset: number, length: number, path: string, callback?: (error?: Error) => void): void;
    bind(path: string): void;
    close(): void;
  }

  export function createSocket(type: 'unix_dgram', listener?: (message: Buffer) => void): UnixDgramSocket;
}
