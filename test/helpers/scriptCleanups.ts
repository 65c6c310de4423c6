/**
 * What a bench script (soak, bench:turn) must undo however it ends — a daemon, fake ALSA devices,
 * temp files: each rig registers its cleanup while it runs, and all pending ones run on Ctrl-C,
 * SIGTERM or a failed run, so no daemon or `pv` feeder outlives the script.
 */
export class ScriptCleanups {
  private readonly pending = new Set<() => Promise<void>>();

  add(cleanup: () => Promise<void>): void {
    this.pending.add(cleanup);
  }

  delete(cleanup: () => Promise<void>): void {
    this.pending.delete(cleanup);
  }

  /** Runs `main`; a signal or a failure cleans up first, then ends the script non-zero. */
  run(name: string, main: () => Promise<void>, progress: (line: string) => void): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        progress(`${signal}: stopping the daemon and the fake devices`);
        void this.runAll().finally(() => process.exit(130));
      });
    }
    main().catch(async (error: unknown) => {
      progress(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      await this.runAll();
      process.exitCode = 1;
    });
  }

  private async runAll(): Promise<void> {
    await Promise.allSettled([...this.pending].map((cleanup) => cleanup()));
  }
}
