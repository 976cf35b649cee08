import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, extra?: { deadLettered?: number }): void;
  stop(): void;
}

/**
 * Progress for long-running work on stderr: a live bar on a terminal, a line every few
 * seconds otherwise (CI logs, pipes). `total` may be unknown.
 */
export function progress(label: string, total?: number): Progress {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: total
          ? `${label} [{bar}] {percentage}% | {value}/{total} | {rate}/s | dead-lettered {dl}`
          : `${label} {value} records | {rate}/s | dead-lettered {dl}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const t0 = Date.now();
    bar.start(total ?? 0, 0, { rate: 0, dl: 0 });
    return {
      update: (done, extra) =>
        bar.update(done, {
          rate: Math.round(done / Math.max(0.001, (Date.now() - t0) / 1000)),
          dl: extra?.deadLettered ?? 0,
        }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  const t0 = Date.now();
  return {
    update: (done, extra) => {
      const now = Date.now();
      if (now - last < 2000) return;
      last = now;
      const rate = Math.round(done / Math.max(0.001, (now - t0) / 1000));
      process.stderr.write(
        `${label}: ${done}${total ? `/${total}` : ''} records, ${rate}/s, dead-lettered ${extra?.deadLettered ?? 0}\n`,
      );
    },
    stop: () => {},
  };
}
