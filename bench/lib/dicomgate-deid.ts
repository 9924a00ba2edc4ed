/**
 * dicomgate's de-identification engine as the benchmark uses it, through the library API:
 *
 *   const profile = await loadProfile('basic')                // src/deid/profile/load.ts
 *   const keys = deriveKeys(await loadSecret(secretFile))     // src/pseudonym/keys.ts, secret.ts
 *   const transform = createDeidTransform({ profile, keys })  // src/deid/index.ts
 *
 * The modules are imported by variable specifiers and what they export is checked at run
 * time, so that the benchmark also runs on a tree without them (an older commit, to compare):
 * the dicomgate rows then say "not available" with the reason `missingDeidLibrary` gives.
 */

import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Duplex } from 'node:stream'

/** The modules, relative to the repository root, with the export the bench calls. */
const LIBRARY = [
  { source: 'src/deid/profile/load.ts', name: 'loadProfile' },
  { source: 'src/pseudonym/secret.ts', name: 'loadSecret' },
  { source: 'src/pseudonym/keys.ts', name: 'deriveKeys' },
  { source: 'src/deid/index.ts', name: 'createDeidTransform' }
] as const

/** Sources of the API not in this tree; empty when all are there. */
export function missingDeidLibrary (repoRoot: string): string[] {
  return LIBRARY.filter((m) => !existsSync(join(repoRoot, m.source))).map((m) => m.source)
}

type Callable = (...args: unknown[]) => unknown

async function importFunction (sourceRoot: URL, { source, name }: typeof LIBRARY[number]): Promise<Callable> {
  // The transpiled copy (compile.ts) keeps the layout, with .js for .ts.
  const url = new URL(source.replace(/\.ts$/, '.js'), sourceRoot).href
  const module: unknown = await import(url)
  const value: unknown = typeof module === 'object' && module !== null && name in module
    ? (module as Record<string, unknown>)[name]
    : undefined
  if (typeof value !== 'function') throw new Error(`${source} does not export a function ${name}`)
  return value as Callable
}

/**
 * Loads the profile and derives the keys once (before any timing starts), and returns a
 * factory of one de-identifying Transform per file. `sourceRoot` is the folder that holds
 * src/ (the transpiled copy, in the workload child).
 */
export async function loadDeidTransformFactory (sourceRoot: URL, profileName: string, secretFile: string): Promise<() => Duplex> {
  const [profileModule, secretModule, keysModule, engineModule] = LIBRARY
  const [loadProfile, loadSecret, deriveKeys, createDeidTransform] = await Promise.all([
    importFunction(sourceRoot, profileModule),
    importFunction(sourceRoot, secretModule),
    importFunction(sourceRoot, keysModule),
    importFunction(sourceRoot, engineModule)
  ])
  // `await` on each: whether a function is synchronous is not part of what is planned.
  const profile: unknown = await loadProfile(profileName)
  const keys: unknown = await deriveKeys(await loadSecret(secretFile))
  return () => {
    const transform: unknown = createDeidTransform({ profile, keys })
    if (!(transform instanceof Duplex)) throw new Error('createDeidTransform did not return a stream.Transform')
    return transform
  }
}
