/**
 * Where the shared corpus is, and which of its files dcmtk can parse.
 *
 * The corpus lives outside the repository (../shared/corpus, or $DICOMGATE_CORPUS). A fresh
 * clone without it still passes: corpus tests skip with a visible note instead.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
export const FIXTURES_DIR = join(REPO_ROOT, 'test', 'fixtures')
export const CORPUS_DIR = resolve(process.env.DICOMGATE_CORPUS ?? join(REPO_ROOT, '..', 'shared', 'corpus'))
export const REFERENCE_DIR = resolve(process.env.DICOMGATE_REFERENCE ?? join(REPO_ROOT, '..', 'shared', 'reference'))

export const hasCorpus = existsSync(join(CORPUS_DIR, 'MANIFEST.tsv'))
export const hasReference = existsSync(join(REFERENCE_DIR, 'ps3.6-attributes.json'))

/** The `skip` option for tap: false when the corpus is there, else the note tap prints. */
export const corpusSkip: false | string = hasCorpus ? false : `shared corpus not found at ${CORPUS_DIR} (set DICOMGATE_CORPUS); corpus tests skipped`
export const referenceSkip: false | string = hasReference ? false : `shared reference tables not found at ${REFERENCE_DIR}; generator check skipped`

export interface CorpusEntry {
  /** Path relative to the corpus folder, as in MANIFEST.tsv. */
  readonly path: string
  readonly absolutePath: string
  readonly size: number
  readonly transferSyntaxUID: string
  readonly sopClassUID: string
  readonly notes: string
}

/** Reads a MANIFEST.tsv (the corpus's columns) into entries whose paths are under `dir`. */
export function readManifest (dir: string): CorpusEntry[] {
  const manifest = join(dir, 'MANIFEST.tsv')
  if (!existsSync(manifest)) return []
  const lines = readFileSync(manifest, 'utf8').split('\n').filter((l) => l.trim() !== '')
  const header = (lines.shift() ?? '').split('\t')
  const col = (name: string): number => header.indexOf(name)
  return lines.map((line) => {
    const f = line.split('\t')
    const path = f[col('path')] ?? ''
    return {
      path,
      absolutePath: join(dir, path),
      size: Number(f[col('size')]),
      transferSyntaxUID: f[col('transfer_syntax_uid')] ?? '',
      sopClassUID: f[col('sop_class_uid')] ?? '',
      notes: f[col('notes')] ?? ''
    }
  })
}

/** The shared corpus's files (none when it is absent). */
export function corpusEntries (): CorpusEntry[] {
  return hasCorpus ? readManifest(CORPUS_DIR) : []
}

/** The project's own fixtures, always present: test/fixtures/MANIFEST.tsv. */
export function fixtureEntries (): CorpusEntry[] {
  return readManifest(FIXTURES_DIR)
}
