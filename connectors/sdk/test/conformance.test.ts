import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../connector-base.js';
import { runConformance } from '../testing/conformance.js';
import { location, SCRIPT_SPEC, type ScriptConfig } from './fixtures.js';

/** A well-behaved connector with a flaw switched on by name, to prove the kit catches it. */
class Flawed extends ConnectorBase<ScriptConfig> {
  readonly name = 'flawed';
  protected readonly configSchema = SCRIPT_SPEC;
  constructor(private readonly flaw: 'none' | 'off-by-one' | 'duplicate-key' | 'invalid' | 'no-final-state' | 'check') {
    super();
  }
  protected async checkConnection(): Promise<CheckResult> {
    return this.flaw === 'check' ? { status: 'failed', message: 'unreachable' } : { status: 'succeeded' };
  }
  protected streams(): readonly Stream<ScriptConfig>[] {
    const flaw = this.flaw;
    return [
      {
        name: 'sites',
        resourceTypes: ['Location'],
        primaryKey: ['id'],
        *read(_c, state): Generator<StreamMessage> {
          const from = (state as { next?: number } | undefined)?.next ?? 0;
          for (let i = from; i < 12; i++) {
            const n = flaw === 'duplicate-key' && i === 5 ? 4 : i;
            const data = flaw === 'invalid' && i === 3 ? { ...location(n), regionId: 'Not A Slug' } : location(n);
            yield { type: 'record', data };
            // off-by-one: the cursor points at the record just read, so a resume repeats it.
            if (i % 3 === 2) yield { type: 'state', state: { next: flaw === 'off-by-one' ? i : i + 1 } };
          }
          if (flaw === 'no-final-state') yield { type: 'record', data: location(99) };
        },
      },
    ];
  }
}

const failedChecks = async (flaw: ConstructorParameters<typeof Flawed>[0]) =>
  (await runConformance(new Flawed(flaw), { token: 't' })).checks.filter((c) => !c.passed).map((c) => c.name);

describe('conformance kit', () => {
  it('passes a correct connector', async () => {
    const report = await runConformance(new Flawed('none'), { token: 't' });
    expect(report.passed).toBe(true);
  });

  it('catches a resume that repeats records', async () => {
    expect(await failedChecks('off-by-one')).toEqual(['final_state', 'resume']);
  });

  it('catches a repeated primary key', async () => {
    expect(await failedChecks('duplicate-key')).toEqual(['primary_keys']);
  });

  it('catches an invalid record', async () => {
    expect(await failedChecks('invalid')).toEqual(['records_valid']);
  });

  it('catches records after the last checkpoint (read again from the final state)', async () => {
    const failed = await failedChecks('no-final-state');
    expect(failed).toContain('final_state');
  });

  it('stops at a failed check', async () => {
    const report = await runConformance(new Flawed('check'), { token: 't' });
    expect(report.failures).toEqual(['check: unreachable']);
  });

  it('checks the config against the spec', async () => {
    const report = await runConformance(new Flawed('none'), {});
    expect(report.failures[0]).toMatch(/^spec: config: config must have required property 'token'/);
  });
});
