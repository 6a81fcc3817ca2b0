/**
 * A RandomBytes that hands out given byte strings in order: the way the test vectors pin every
 * ephemeral and ratchet key. Each call gets a copy, so callers that wipe keys cannot alter the
 * vector inputs.
 */
import type { RandomBytes } from '../../src/index.js';

export function fixedRandom(values: readonly Uint8Array[]): RandomBytes & { remaining(): number } {
  let next = 0;
  const random = (length: number): Uint8Array => {
    const value = values[next];
    if (value === undefined) throw new Error(`fixedRandom exhausted after ${next} values`);
    if (value.length !== length) {
      throw new Error(`fixedRandom value ${next} has ${value.length} bytes, ${length} requested`);
    }
    next += 1;
    return value.slice();
  };
  return Object.assign(random, { remaining: () => values.length - next });
}
