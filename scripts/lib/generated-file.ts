import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Writes generated files, or with `--check` only compares them: exits 1 and names the stale
 * files. The generators (`gen-types`, `gen-validators`, `gen-model-docs`) share this so that CI
 * can run them in check mode and tests can call their `render…()` functions directly.
 */
export function writeOrCheck(
  files: ReadonlyMap<string, string>,
  argv: readonly string[] = process.argv.slice(2),
): void {
  const check = argv.includes('--check');
  const stale: string[] = [];
  for (const [path, content] of files) {
    let current: string | undefined;
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      current = undefined;
    }
    if (current === content) continue;
    if (check) stale.push(relative(process.cwd(), path));
    else writeFileSync(path, content);
  }
  if (stale.length > 0) {
    process.stderr.write(`stale generated file(s): ${stale.join(', ')}; run the generator without --check\n`);
    process.exitCode = 1;
  }
}

/** True when the module at `moduleUrl` is the script node was asked to run. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && fileURLToPath(moduleUrl) === resolve(entry);
}
