/**
 * Seeded randomness for the simulator: pure-rand's xoroshiro128+, drawn through its unsafe
 * (in-place) API for speed. Separate purposes take separate generators derived from the
 * seed, so that, for example, turning malformed rows on does not change the valid flow.
 */
import { type RandomGenerator, xoroshiro128plus } from 'pure-rand';

const TWO_POW_32 = 4_294_967_296;

export class Random {
  private readonly rng: RandomGenerator;

  /** `purpose` separates independent draws made from the same seed. */
  constructor(seed: number, purpose: number) {
    // Mix the purpose into the seed (a 32-bit multiplicative hash) so streams differ.
    this.rng = xoroshiro128plus((seed ^ Math.imul(purpose + 1, 0x9e3779b1)) | 0);
    // The first outputs of a freshly seeded xoroshiro are correlated with the seed: skip them.
    for (let i = 0; i < 8; i++) this.rng.unsafeNext();
  }

  /** Uniform in [0, 1). */
  float(): number {
    return (this.rng.unsafeNext() >>> 0) / TWO_POW_32;
  }

  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Uniform element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** An index drawn with probability proportional to `cumulative` weights (prefix sums). */
  weighted(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1] as number;
    const x = this.float() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Exponentially distributed with the given mean (inter-arrival times). */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }
}

/** Prefix sums of `weights`, for `Random.weighted`. */
export function cumulative(weights: readonly number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    out.push(sum);
  }
  return out;
}
