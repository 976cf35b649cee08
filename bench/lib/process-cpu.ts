/**
 * CPU time per process, from Linux's `/proc/<pid>/stat`, so a bench part can say where the
 * machine's cores went during a phase: its own process, a child (`hub sink`), and the servers
 * `scripts/services` started (their pids are in `.services/<name>/pid`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * User plus system CPU seconds `pid` has used, its threads included, from the text of its
 * `/proc/<pid>/stat` (fields 14 and 15, counted after the command name, which may hold spaces).
 */
export function cpuSecondsOfStat(stat: string, ticks = clockTicks()): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

/** CPU seconds `pid` has used so far, or undefined when it cannot be read (gone, not Linux). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    return cpuSecondsOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The pid of a server `scripts/services` runs from `checkout`, if its pid file is there. */
export function servicePid(checkout: string, service: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(checkout, '.services', service, 'pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds each named process used between `start()` and `stop()`, and the cores they kept busy. */
export function cpuMeter(pids: Readonly<Record<string, number | undefined>>): {
  stop(): { wallSeconds: number; cpuSeconds: Record<string, number>; coresBusy: number };
} {
  const t0 = performance.now();
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid && cpuSeconds(pid)]));
  return {
    stop() {
      const wallSeconds = (performance.now() - t0) / 1000;
      const used: Record<string, number> = {};
      for (const [name, pid] of Object.entries(pids)) {
        const a = before[name];
        const b = pid === undefined ? undefined : cpuSeconds(pid);
        if (typeof a === 'number' && b !== undefined) used[name] = Math.round((b - a) * 100) / 100;
      }
      const total = Object.values(used).reduce((x, y) => x + y, 0);
      return { wallSeconds, cpuSeconds: used, coresBusy: Math.round((total / wallSeconds) * 100) / 100 };
    },
  };
}
