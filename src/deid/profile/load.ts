/**
 * Finding, reading and compiling profile files, once at start-up (so synchronously).
 *
 * A bare name (`basic`, `research`) is a shipped profile: profiles/NAME.json of the
 * package. Anything with a slash or ending in `.json` is a path: relative to the working
 * directory for `loadProfile`, relative to the extending file for `extends`. Each file is
 * checked against profiles/profile.schema.json, its parents are compiled first, and a cycle
 * of `extends` stops with DG_PROFILE_CYCLE.
 */
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DicomgateError } from '../../errors.js'
import { compileProfile } from './compile.js'
import { invalid, quote } from './messages.js'
import { validateProfileSource } from './schema.js'
import type { CompiledProfile, ProfileSource } from './types.js'

export interface LoadOptions {
  /** Where bare names are looked up; default: the profiles/ folder shipped with dicomgate. */
  readonly profilesDir?: string
}

/** profiles/, from src/deid/profile/ (tsx, tests) and from dist/deid/profile/ (the package) alike. */
export const SHIPPED_PROFILES_DIR: string = fileURLToPath(new URL('../../../profiles/', import.meta.url))

/** A profile is a few kilobytes; a larger file is a mistake (or the wrong file). */
export const MAX_PROFILE_FILE_BYTES = 1024 * 1024
/** Longer chains of `extends` than this are surely a mistake. */
export const MAX_EXTENDS_DEPTH = 16

/** A shipped profile's name: no slash, no `.json`. */
const BARE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/

function isBareName (nameOrPath: string): boolean {
  return BARE_NAME.test(nameOrPath)
}

/** How messages name a file: relative to the working directory when inside it, else absolute. */
export function displayPath (file: string): string {
  const shipped = relative(SHIPPED_PROFILES_DIR, file)
  if (!shipped.startsWith('..') && !isAbsolute(shipped)) return `profiles/${shipped}`
  const rel = relative(process.cwd(), file)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file
}

function resolveFile (nameOrPath: string, baseDir: string, options: LoadOptions): string {
  if (!isBareName(nameOrPath)) return resolve(baseDir, nameOrPath)
  return resolve(options.profilesDir ?? SHIPPED_PROFILES_DIR, `${nameOrPath}.json`)
}

/** `via`: the file whose `extends` named the missing one, if any. */
function notFound (nameOrPath: string, file: string, reason: string, options: LoadOptions, via: string | undefined): DicomgateError {
  const prefix = via === undefined ? '' : `${via}: extends ${quote(nameOrPath)}: `
  if (isBareName(nameOrPath)) {
    const names = listProfiles(options).map((p) => p.name).join(', ')
    return new DicomgateError('DG_PROFILE_NOT_FOUND', `${prefix}no profile named ${quote(nameOrPath)} (shipped: ${names || 'none'}); a path to a file needs a slash or .json`)
  }
  return new DicomgateError('DG_PROFILE_NOT_FOUND', `${prefix}${displayPath(file)}: cannot read the profile (${reason})`)
}

function errorCode (err: unknown): string {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : 'unknown error'
}

function readJson (nameOrPath: string, file: string, options: LoadOptions, via: string | undefined): unknown {
  let text: string
  try {
    if (statSync(file).size > MAX_PROFILE_FILE_BYTES) throw invalid(displayPath(file), '', `is larger than ${MAX_PROFILE_FILE_BYTES} bytes: not a profile`)
    text = readFileSync(file, 'utf8')
  } catch (err) {
    if (err instanceof DicomgateError) throw err
    throw notFound(nameOrPath, file, errorCode(err), options, via)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    // V8's message gives the position and a few characters around it: enough to find the typo.
    const detail = err instanceof Error ? err.message.slice(0, 160) : 'unreadable'
    throw invalid(displayPath(file), '', `is not valid JSON (${detail})`)
  }
}

/**
 * Reads, checks and compiles a profile with the profiles it extends.
 * Throws DG_PROFILE_NOT_FOUND, DG_PROFILE_INVALID or DG_PROFILE_CYCLE.
 */
export function loadProfile (nameOrPath: string, options: LoadOptions = {}): CompiledProfile {
  const file = resolveFile(nameOrPath, process.cwd(), options)
  return loadFile(nameOrPath, file, options, [], undefined)
}

/**
 * Compiles a profile given as parsed JSON (e.g. embedded in a configuration file); `file`
 * names it in messages, and its `extends` resolves relative to `file`'s folder.
 */
export function profileFromSource (json: unknown, file: string, options: LoadOptions = {}): CompiledProfile {
  return compileSource(json, resolve(file), options, [])
}

function loadFile (nameOrPath: string, file: string, options: LoadOptions, chain: readonly string[], via: string | undefined): CompiledProfile {
  const json = readJson(nameOrPath, file, options, via)
  let real = file
  try {
    real = realpathSync(file)
  } catch {
    // It was just read; a race with its removal leaves the path as given.
  }
  if (chain.includes(real)) {
    const cycle = [...chain.slice(chain.indexOf(real)), real].map((f) => displayPath(f)).join(' → ')
    throw new DicomgateError('DG_PROFILE_CYCLE', `profiles extend each other in a cycle: ${cycle}`)
  }
  return compileSource(json, real, options, chain)
}

function compileSource (json: unknown, file: string, options: LoadOptions, chain: readonly string[]): CompiledProfile {
  const shown = displayPath(file)
  const source = withAbsoluteRecipients(validateProfileSource(json, shown), dirname(file))
  if (source.extends === undefined) return compileProfile(source, shown)
  if (chain.length + 1 >= MAX_EXTENDS_DEPTH) throw invalid(shown, 'extends', `makes a chain longer than ${MAX_EXTENDS_DEPTH} profiles`)
  const parentFile = resolveFile(source.extends, dirname(file), options)
  const parent = loadFile(source.extends, parentFile, options, [...chain, file], shown)
  return compileProfile(source, shown, parent)
}

/** Recipient certificates are named relative to the profile file: made absolute here. */
function withAbsoluteRecipients (source: ProfileSource, dir: string): ProfileSource {
  const encrypted = source.encryptedAttributes
  if (encrypted === undefined) return source
  return { ...source, encryptedAttributes: { ...encrypted, recipients: encrypted.recipients.map((r) => resolve(dir, r)) } }
}

export interface ProfileSummary {
  readonly name: string
  /** The first sentence of the description. */
  readonly summary: string
  readonly file: string
}

/** The shipped profiles (or those in `profilesDir`), by file name; unreadable files are listed with a note. */
export function listProfiles (options: LoadOptions = {}): readonly ProfileSummary[] {
  const dir = options.profilesDir ?? SHIPPED_PROFILES_DIR
  let names: string[]
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json') && isBareName(f.slice(0, -'.json'.length))).sort()
  } catch {
    return []
  }
  return names.map((f) => {
    const file = resolve(dir, f)
    const name = basename(f, '.json')
    try {
      const json: unknown = JSON.parse(readFileSync(file, 'utf8'))
      const description = typeof json === 'object' && json !== null && 'description' in json && typeof json.description === 'string' ? json.description : ''
      return { name, summary: firstSentence(description), file }
    } catch {
      return { name, summary: '(unreadable: run `dicomgate profile show` for the error)', file }
    }
  })
}

function firstSentence (text: string): string {
  const m = /^(.*?[.!?])(\s|$)/s.exec(text.trim())
  return (m?.[1] ?? text.trim()).replace(/\s+/g, ' ')
}
