/**
 * Seeded pseudo-random numbers, so that regenerating the benchmark data gives the same
 * bytes and runs on different days measure the same input.
 */

export type Rng = () => number

/** xorshift32 (Marsaglia 2003): fast, good enough for noise and identifiers. */
export function createRng (seed: number): Rng {
  // A zero state would stay zero forever; any other 32-bit seed works.
  let state = (seed >>> 0) || 0x9e3779b9
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state
  }
}

/**
 * A UID under the 2.25 root (PS3.5 §B.2: a UUID as a decimal integer), from 128 random
 * bits. Unique in practice, at most 2 + 1 + 39 = 42 characters, within the 64 of UI.
 */
export function randomUid (rng: Rng): string {
  let value = 0n
  for (let i = 0; i < 4; i++) value = (value << 32n) | BigInt(rng())
  return `2.25.${value.toString(10)}`
}
