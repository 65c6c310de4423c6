/**
 * Node's message for an addon built for another Node ("The module '…/epoll.node' was compiled
 * against a different Node.js version using NODE_MODULE_VERSION 115. This version of Node.js
 * requires NODE_MODULE_VERSION 127. …") said in a few words; any other message as it is.
 */
export function explainAddonError(message: string): string {
  const abi = /The module '([^']+)' was compiled against a different Node\.js version using NODE_MODULE_VERSION (\d+)\. This version of Node\.js requires NODE_MODULE_VERSION (\d+)/.exec(message);
  if (!abi) return message;
  return `${abi[1]} was built for another Node (ABI ${abi[2]}; this one needs ${abi[3]})`;
}

/** The package whose native module failed to load (`…/node_modules/epoll/build/Release/epoll.node` → `epoll`), if the message names one. */
export function failedAddonPackage(message: string): string | undefined {
  const paths = [...message.matchAll(/node_modules\/((?:@[^/\s']+\/)?[^/\s']+)\/[^\s']*\.node\b/g)];
  return paths.at(-1)?.[1];
}
