import { explainAddonError } from './addonLoadError.js';

/** Why one backend could not open a device, on one line (naudiodon's load errors run over several). */
export function failureText(backend: string, error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return `${backend}: ${explainAddonError(message)}`;
}

/** A device held by another program is most often the kiosk itself, running as a service. */
export function withBusyAdvice(advice: string, failures: readonly string[]): string {
  const busy = failures.some((f) => /busy/i.test(f));
  return busy ? `${advice}; if the kiosk-voice service is running it holds the device: \`sudo systemctl stop kiosk-voice\` first` : advice;
}
