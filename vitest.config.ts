import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons (sherpa-onnx, node-llama-cpp) are not safe to load in worker_threads pools.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real engines on a 2-core machine: run files one at a time so timings and CPU stay sane.
    fileParallelism: false,
  },
});
