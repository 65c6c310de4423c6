import { Command } from 'commander';
import { registerModelsCommand } from '../../src/cli/modelsCommand.js';

/** Runs `kiosk-voice models …` in-process with its output, exit code, environment and cwd captured. */
export async function runModelsCommand(args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }) {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  const program = new Command('kiosk-voice').exitOverride();
  registerModelsCommand(program, {
    stdout: { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream,
    stderr: { write: (s: string) => ((stderr += s), true), isTTY: false } as unknown as NodeJS.WritableStream,
    env: options.env,
    cwd: options.cwd,
    setExitCode: (c) => (exitCode = c),
  });
  await program.parseAsync(args, { from: 'user' });
  return { stdout, stderr, exitCode };
}
