import { describe, expect, it } from 'vitest';
import { cpuMeter, cpuSeconds, cpuSecondsOfStat } from './process-cpu.js';

describe('process CPU time', () => {
  it('reads utime and stime after a command name holding spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const stat = '4242 (java (kafka) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 566 0 0 20 0 40 0';
    expect(cpuSecondsOfStat(stat, 100)).toBeCloseTo(18, 6);
  });

  it.runIf(process.platform === 'linux')('agrees with Node’s own count of this process’s CPU time', () => {
    const meter = cpuMeter({ self: process.pid, gone: 2 ** 22 + 12345 });
    const start = process.cpuUsage();
    // Spin until Node itself counts 200 ms of CPU, however busy the machine is.
    let x = 0;
    for (;;) {
      for (let i = 0; i < 1e5; i++) x += Math.sqrt(i);
      const d = process.cpuUsage(start);
      if (d.user + d.system >= 200_000) break;
    }
    const used = meter.stop();
    const node = process.cpuUsage(start);
    expect(x).toBeGreaterThan(0);
    // Clock ticks are 10 ms: the two counts agree within a few ticks.
    expect(used.cpuSeconds.self).toBeGreaterThanOrEqual((node.user + node.system) / 1e6 - 0.05);
    expect(used.cpuSeconds.self).toBeLessThanOrEqual((node.user + node.system) / 1e6 + 0.05);
    // A pid that does not exist is left out.
    expect(Object.keys(used.cpuSeconds)).toEqual(['self']);
    expect(cpuSeconds(2 ** 22 + 12345)).toBeUndefined();
  });
});
