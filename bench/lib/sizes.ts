/**
 * Byte counts of inputs and outputs, as the reports give them (MB/s counts input bytes).
 */

import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

export async function totalBytes (paths: readonly string[]): Promise<number> {
  let total = 0
  for (const path of paths) total += (await stat(path)).size
  return total
}

/** Bytes of every file under `dir`, at any depth (a CLI may keep the input's folders). */
export async function treeBytes (dir: string): Promise<number> {
  const files = (await readdir(dir, { withFileTypes: true, recursive: true })).filter((e) => e.isFile())
  return await totalBytes(files.map((e) => join(e.parentPath, e.name)))
}
