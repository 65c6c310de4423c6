import { readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import type { DeviceFacts } from '../bench/BenchReport.js';

/** Where the board names itself: the device tree on a Pi, DMI on a PC or VM. */
const BOARD_FILES = ['/proc/device-tree/model', '/sys/class/dmi/id/product_name'];

function firstReadable(files: string[]): string | undefined {
  for (const file of files) {
    try {
      // The device tree's strings end in a NUL.
      const text = readFileSync(file, 'utf8').replace(/\0/g, '').trim();
      if (text) return text;
    } catch {
      // Not this kind of machine; try the next source.
    }
  }
  return undefined;
}

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What a bench report says about the machine it ran on, so that two reports can be told apart. */
export function readDeviceFacts(): DeviceFacts {
  const processors = cpus();
  return {
    hostname: hostname(),
    board: firstReadable(BOARD_FILES) ?? 'unknown',
    kernel: release(),
    os: osName(),
    arch: arch(),
    // On a Pi the model string is empty in /proc/cpuinfo's "model name"; the board names it instead.
    cpu: processors[0]?.model.trim() || 'unknown',
    cpus: processors.length,
    memoryMb: Math.round(totalmem() / 2 ** 20),
    node: process.version,
  };
}
