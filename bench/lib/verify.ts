/**
 * Correctness inside the benchmark: a pass-through that is fast but changes a byte is a
 * failure, not a figure. Hashes are computed streaming, so checking the large file costs
 * no memory.
 */

import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { basename, join } from 'node:path'
import { pipeline } from 'node:stream/promises'

export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), hash)
  return hash.digest('hex')
}

/** Input hashes, computed once per benchmark (the first pass also warms the page cache). */
export class InputHashes {
  readonly #hashes = new Map<string, string>()

  async of (path: string): Promise<string> {
    const known = this.#hashes.get(path)
    if (known !== undefined) return known
    const hash = await sha256File(path)
    this.#hashes.set(path, hash)
    return hash
  }
}

/** Inputs whose output (same base name in outDir) differs from them; empty when all match. */
export async function mismatchedOutputs (inputs: readonly string[], outDir: string, hashes: InputHashes): Promise<string[]> {
  const mismatched: string[] = []
  for (const input of inputs) {
    const output = join(outDir, basename(input))
    const [expected, actual] = await Promise.all([hashes.of(input), sha256File(output).catch(() => 'missing')])
    if (expected !== actual) mismatched.push(basename(input))
  }
  return mismatched
}
