/**
 * Child process entry: loads one native addon the way the daemon does, then exits 0; on failure
 * prints the reason on one line on stderr and exits 1. Run only by the native-addons check.
 *
 * Why a child: a native addon that does not match this Node, or whose shared libraries are
 * missing, can crash or hang the process that loads it, and naudiodon prints to stdout (which the
 * parent discards here, as it does for the capture child).
 */
import { createRequire } from 'node:module';

/** How each addon is loaded. The check imports only the type, never this module. */
const ADDON_LOADERS = {
  'sherpa-onnx-node': async () => {
    await import('sherpa-onnx-node');
  },
  'node-llama-cpp': async () => {
    const { getLlama } = await import('node-llama-cpp');
    // As the LLM engine loads it: prebuilt CPU binary only, never a build or a download.
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    await llama.dispose();
  },
  naudiodon: async () => {
    createRequire(import.meta.url)('naudiodon');
  },
  // onoff loads the epoll addon when it is imported.
  onoff: async () => {
    await import('onoff');
  },
} as const satisfies Record<string, () => Promise<void>>;

export type AddonName = keyof typeof ADDON_LOADERS;

const name = process.argv[2] ?? '';
const load = Object.hasOwn(ADDON_LOADERS, name) ? ADDON_LOADERS[name as AddonName] : undefined;
function fail(reason: string): void {
  // One line: Node's own message for an addon of another ABI runs over four.
  process.stderr.write(`${reason.replace(/\s+/g, ' ').trim()}\n`);
  process.exit(1);
}
if (load) {
  // exit() rather than waiting for the event loop: an addon may leave handles open.
  load().then(
    () => process.exit(0),
    (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
  );
} else {
  fail(`unknown addon "${name}"`);
}
