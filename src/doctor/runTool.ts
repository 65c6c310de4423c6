import { execFile } from 'node:child_process';

/** How a system tool ended: `missing` when it is not installed. */
export type ToolRun = { missing: true } | { missing: false; code: number | null; stdout: string; stderr: string; timedOut: boolean };

/** Options for {@link runTool}. */
export interface RunToolOptions {
  env?: NodeJS.ProcessEnv;
  /** The tool is killed after this long (default 3 s): a wedged tool must not hang doctor. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Runs a system tool that prints and exits; never throws for the tool's own failure. */
export function runTool(binary: string, args: string[], options: RunToolOptions = {}): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { env: options.env ?? process.env, timeout: options.timeoutMs ?? 3000, killSignal: 'SIGKILL', encoding: 'utf8', signal: options.signal },
      (error, stdout, stderr) => {
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') return resolve({ missing: true });
        const exit = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : null) : 0;
        resolve({ missing: false, code: exit, stdout, stderr, timedOut: Boolean(error && (error as { killed?: boolean }).killed) });
      },
    );
  });
}
