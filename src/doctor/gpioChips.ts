import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

/** A GPIO character device and whether this user may open it. */
export interface GpioChipNode {
  path: string;
  accessible: boolean;
  /** `root:gpio 660`, for the report. */
  owner: string;
  /** The node's group name (or gid), e.g. `gpio` on Raspberry Pi OS. */
  group: string;
}

/** The gpiochip nodes in `devDir`, each with whether the current user can read and write it. */
export function listGpioChips(devDir = '/dev'): GpioChipNode[] {
  let names: string[];
  try {
    names = readdirSync(devDir).filter((name) => /^gpiochip\d+$/.test(name));
  } catch {
    return [];
  }
  return names
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
    .map((name) => {
      const path = join(devDir, name);
      const st = statSync(path);
      let accessible = true;
      try {
        accessSync(path, constants.R_OK | constants.W_OK);
      } catch {
        accessible = false;
      }
      const group = groupName(st.gid);
      return { path, accessible, group, owner: `${userName(st.uid)}:${group} ${(st.mode & 0o777).toString(8)}` };
    });
}

/** Why this user cannot open a chip, with what to do: usually membership of its group. */
export function chipAccessProblem(chip: GpioChipNode): { detail: string; advice: string } {
  const me = userInfo().username;
  const inGroup = process.getgroups?.().some((gid) => groupName(gid) === chip.group) ?? false;
  return {
    detail: `${chip.path} (${chip.owner}) cannot be opened by ${me}${inGroup ? '' : `, who is not in the ${chip.group} group`}`,
    advice: inGroup
      ? `check the permissions of ${chip.path} (a udev rule should give it to the ${chip.group} group)`
      : `add the user to the group: \`sudo usermod -aG ${chip.group} ${me}\`, then log in again (the service gets it from SupplementaryGroups=${chip.group})`,
  };
}

function groupName(gid: number): string {
  return idName('/etc/group', gid) ?? String(gid);
}

function userName(uid: number): string {
  return idName('/etc/passwd', uid) ?? String(uid);
}

/** The name for an id in /etc/passwd or /etc/group (name:x:id:…). */
function idName(file: string, id: number): string | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, , value] = line.split(':');
      if (name && value === String(id)) return name;
    }
  } catch {
    // No such database (a minimal container): fall back to the number.
  }
  return undefined;
}
