/**
 * A tiny scripted connector for the SDK's tests: each stream replays a script of steps
 * (records, refused rows, checkpoints, failures) from its cursor, so tests can stage exactly
 * the sequence they need.
 */
import type { CanonicalResource } from '../../../core/ports/index.js';
import type { CheckResult, JSONSchema } from '../connector.js';
import { ConnectorBase, type Stream, type StreamMessage } from '../connector-base.js';

export type Step =
  | { readonly record: CanonicalResource; readonly payload?: unknown }
  | { readonly invalid: unknown }
  | { readonly checkpoint: true }
  | { readonly fail: Error; readonly times?: number }
  | { readonly log: string };

export interface ScriptConfig {
  readonly token: string;
  readonly label: string;
}

export const SCRIPT_SPEC: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['token'],
  properties: {
    token: { type: 'string', minLength: 1, 'x-secret': true },
    label: { type: 'string', default: 'scripted' },
  },
};

/** A valid Location record (core validates it). */
export function location(n: number): CanonicalResource {
  return {
    resourceType: 'Location',
    id: `test-site-${n}`,
    kind: 'delivery-site',
    name: { fr: `Site ${n}`, ar: `موقع ${n}` },
    regionId: 'souss-massa',
  };
}

/** A record that core refuses: a Location without name and with a bad GLN. */
export function badLocation(n: number): CanonicalResource {
  return {
    resourceType: 'Location',
    id: `bad-site-${n}`,
    kind: 'delivery-site',
    regionId: 'souss-massa',
    gln: '6118000000010',
  };
}

/**
 * Each stream's state is `{ step }`: the index of the step after its last checkpoint.
 * A `fail` step throws the first `times` (default 1) times it is reached, then is skipped.
 */
export class ScriptedConnector extends ConnectorBase<ScriptConfig> {
  readonly name: string;
  protected readonly configSchema = SCRIPT_SPEC;
  /** How many times each stream's read started. */
  readonly reads = new Map<string, number>();
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly scripts: Readonly<Record<string, readonly Step[]>>,
    name = 'scripted',
  ) {
    super();
    this.name = name;
  }

  protected async checkConnection(config: ScriptConfig): Promise<CheckResult> {
    if (config.token === 'wrong') throw new Error(`token ${config.token} refused by upstream`);
    return { status: 'succeeded' };
  }

  protected streams(): readonly Stream<ScriptConfig>[] {
    return Object.entries(this.scripts).map(([name, steps]) => ({
      name,
      resourceTypes: ['Location'],
      primaryKey: ['id'],
      read: (_config: ScriptConfig, state: unknown) => this.play(name, steps, state),
    }));
  }

  private async *play(stream: string, steps: readonly Step[], state: unknown): AsyncGenerator<StreamMessage> {
    this.reads.set(stream, (this.reads.get(stream) ?? 0) + 1);
    const from = (state as { step?: number } | undefined)?.step ?? 0;
    for (let i = from; i < steps.length; i++) {
      const s = steps[i] as Step;
      if ('record' in s)
        yield { type: 'record', data: s.record, ...(s.payload === undefined ? {} : { sourcePayload: s.payload }) };
      else if ('invalid' in s)
        yield {
          type: 'invalid',
          payload: s.invalid,
          errors: [{ pointer: '', code: 'unparsable', message: 'cannot parse' }],
        };
      else if ('checkpoint' in s) yield { type: 'state', state: { step: i + 1 } };
      else if ('log' in s) yield { type: 'log', level: 'info', message: s.log };
      else {
        const key = `${stream}:${i}`;
        const seen = this.failures.get(key) ?? 0;
        if (seen < (s.times ?? 1)) {
          this.failures.set(key, seen + 1);
          throw s.fail;
        }
      }
    }
  }
}
