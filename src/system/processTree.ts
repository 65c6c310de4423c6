import { readdirSync, readFileSync } from 'node:fs';

/** Every process below `pid` (any depth). Children of worker threads are listed under their task. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${parent}/task`);
    } catch {
      return; // exited meanwhile
    }
    for (const task of tasks) {
      let children: string;
      try {
        children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

/** A field of /proc/<pid>/status in its unit (kB for memory), or NaN if the process is gone. */
export function statusField(pid: number, name: string): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN;
  }
  return Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
}

/** Resident memory of `pid` and every process below it, in MB (the engines run in child processes too). */
export function processTreeRssMb(pid = process.pid): number {
  let kB = 0;
  for (const each of [pid, ...descendants(pid)]) {
    const rss = statusField(each, 'VmRSS');
    if (Number.isFinite(rss)) kB += rss;
  }
  return kB / 1024;
}

/** Clock ticks per second of /proc/<pid>/stat times: USER_HZ, 100 on every Linux the kiosk runs on. */
const USER_HZ = 100;

/** CPU time (user + system) used so far by `pid` and every process below it, in ms (threads included). */
export function processTreeCpuMs(pid = process.pid): number {
  let ticks = 0;
  for (const each of [pid, ...descendants(pid)]) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${each}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // The command name is in parentheses and may hold spaces: fields are counted after its end.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / USER_HZ;
}
