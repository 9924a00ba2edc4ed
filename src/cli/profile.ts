/**
 * `dicomgate profile list` and `dicomgate profile show [--all] NAME|FILE`: the shipped
 * profiles, and what a profile compiles to. `show` prints one line per attribute the
 * compiled profile decides (tag, keyword, operation, code, and the table row, option column
 * or profile rule that decided it), then patterns, VR rules, private rules, defaults,
 * structured content, reject list and method codes. It is how a reviewer checks a profile.
 */
import type { Writable } from 'node:stream'
import { DicomgateError, UsageError } from '../errors.js'
import { keywordOf, lookupTag } from '../dicom/dictionary.js'
import { formatTag } from '../dicom/tags.js'
import { OPTIONS } from '../deid/options.js'
import { listProfiles, loadProfile } from '../deid/profile/load.js'
import { formatTagPattern, standardTables } from '../deid/profile/standard.js'
import type { CompiledProfile, CompiledRule } from '../deid/profile/types.js'
import { parseCommandLine } from './common.js'
import type { CliIO, Command } from './main.js'

const HELP = `Usage: dicomgate profile list
       dicomgate profile show [--all] NAME|FILE

De-identification profiles (docs/profiles.md).

  list            the shipped profiles, with what each is for
  show NAME|FILE  what a profile compiles to: for every attribute of PS3.15
                  Table E.1-1 and every rule, the operation and what decided it
                  (the table's Basic Profile column, an option's column, or a
                  rule of a profile file), then tag patterns, VR rules, private
                  rules, defaults, the reject list and the method codes.
                  NAME is a shipped profile; a FILE path has a slash or ends
                  in .json.

Options:
  --all           with show: list every private rule and content item
                  (otherwise the first ${10} of each)
  -h, --help      show this help

Exit status: 0 done; 1 the profile is missing or invalid (the error code and
the file and JSON path at fault are printed on stderr); 2 usage error.
`

/** Without --all, long lists (safe private attributes, content items) show this many lines. */
const SHORT_LIST = 10

export const profileCommand: Command = {
  help: HELP,
  run
}

/** Resolves to undefined: the exit status is 0 unless it throws. */
async function run (args: readonly string[], io: CliIO): Promise<undefined> {
  const { values, positionals } = parseCommandLine('profile', args, { all: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } })
  if (values.help) return await write(io.stdout, HELP)
  const [sub, ...rest] = positionals
  if (sub === 'list') {
    if (rest.length > 0 || values.all) throw new UsageError('profile list takes no arguments')
    return await write(io.stdout, listText())
  }
  if (sub === 'show') {
    if (rest.length !== 1) throw new UsageError('profile show takes one NAME or FILE')
    return await write(io.stdout, showText(loadProfile(rest[0] as string), values.all))
  }
  throw new UsageError(sub === undefined ? 'profile needs a subcommand: list or show' : 'profile subcommands are list and show')
}

function listText (): string {
  const profiles = listProfiles()
  const width = Math.max(0, ...profiles.map((p) => p.name.length))
  return profiles.map((p) => `${p.name.padEnd(width)}  ${p.summary}\n`).join('')
}

/** Where a decision came from, as one short phrase. */
function origin (rule: CompiledRule): string {
  const s = rule.source
  switch (s.kind) {
    case 'table': return `${s.row.startsWith('E.3.4-1') ? 'E.3.4-1' : 'E.1-1'} ${s.column}`
    case 'rule': return `${s.file} rules[${s.index}]`
    case 'default': return `default: ${s.reason}`
    case 'safe-private': return 'E.3.10-1 safe private'
  }
}

function code (rule: CompiledRule): string {
  return rule.source.kind === 'table' || rule.source.kind === 'rule' ? rule.source.code : '-'
}

/** Columns padded to the widest entry (capped), the origin last, then format and notes of the table. */
function table (rows: ReadonlyArray<readonly [string, string, CompiledRule]>): string[] {
  const w1 = Math.max(0, ...rows.map((r) => r[0].length))
  const w2 = Math.min(44, Math.max(0, ...rows.map((r) => r[1].length)))
  const w3 = Math.max(0, ...rows.map((r) => r[2].operation.length))
  return rows.map(([a, b, rule]) => {
    const extra = [
      rule.format === undefined ? '' : `  format ${rule.format}`,
      rule.note !== undefined && rule.source.kind !== 'rule' ? `  (${rule.note})` : ''
    ].join('')
    return `${a.padEnd(w1)}  ${b.padEnd(w2)}  ${rule.operation.padEnd(w3)}  ${code(rule).padEnd(6)}  ${origin(rule)}${extra}`
  })
}

function limited (lines: string[], all: boolean): string[] {
  if (all || lines.length <= SHORT_LIST) return lines
  return [...lines.slice(0, SHORT_LIST), `… ${lines.length - SHORT_LIST} more: --all lists them`]
}

function showText (p: CompiledProfile, all: boolean): string {
  const tableKeywords = new Map(standardTables().attributes.flatMap((r) => (r.selector.kind === 'tag' && r.keyword !== undefined ? [[r.selector.tag, r.keyword] as const] : [])))
  const sopNames = new Map([...standardTables().sopClasses.values()].map((s) => [s.uid, s.keyword]))
  const out: string[] = [
    `profile ${p.name}: ${p.files.join(' extends ')}`,
    `mode: ${p.mode}`,
    `options: ${p.options.size === 0 ? 'none' : OPTIONS.filter((o) => p.options.has(o)).join(', ')}`,
    `De-identification Method (0012,0063): ${p.methodDescription}`,
    `De-identification Method Code Sequence (0012,0064): ${p.methodCodes.length === 0 ? 'none' : p.methodCodes.map((c) => `(${c.codeValue}, ${c.codingSchemeDesignator}, "${c.codeMeaning}")`).join(' ')}`,
    `date shift: ${p.dateShift.minDays} to ${p.dateShift.maxDays} days`,
    `encrypted attributes (0400,0500): ${p.encryption === null ? 'none' : `${p.encryption.cipher} for ${p.encryption.recipients.join(', ')}`}`,
    `reject burned-in annotation: ${p.reject.burnedInAnnotation ? 'yes' : 'no'}`,
    `reject SOP classes: ${p.reject.sopClasses.size === 0 ? 'none' : [...p.reject.sopClasses].map((uid) => `${sopNames.get(uid) ?? '?'} (${uid})`).join(', ')}`,
    ''
  ]

  const attributes = [...p.byTag].sort(([a], [b]) => a - b)
  out.push(`attributes (${attributes.length}; rules of profile files win over the table):`)
  out.push(...table(attributes.map(([tag, rule]) => [formatTag(tag), keywordOf(tag) ?? tableKeywords.get(tag) ?? '-', rule])), '')

  out.push(`tag patterns (${p.patterns.length}; profile rules first, then the table, most specific first):`)
  out.push(...table(p.patterns.map((pattern) => {
    const entry = lookupTag(pattern.value)
    const keyword = entry !== undefined && entry.mask !== 0xffffffff && (entry.mask & pattern.mask) >>> 0 === pattern.mask ? entry.keyword : '-'
    return [formatTagPattern(pattern.mask, pattern.value), keyword, pattern.rule]
  })), '')

  out.push(`VR rules (${p.byVR.size}; after tag and pattern rules, before the table):`)
  out.push(...table([...p.byVR].sort(([a], [b]) => (a < b ? -1 : 1)).map(([vr, rule]) => [vr, '', rule])), '')

  // privateKey() joins creator, group and element byte with NUL (types.ts).
  const privateRows = [...p.privateRules].map(([key, rule]) => {
    const [creator = '', group = '0', element = '0'] = key.split('\u0000')
    return { creator, group: Number(group), element: Number(element), rule }
  }).sort((a, b) => (a.creator < b.creator ? -1 : a.creator > b.creator ? 1 : a.group - b.group || a.element - b.element)).map((r) => {
    const g = r.group.toString(16).toUpperCase().padStart(4, '0')
    const e = r.element.toString(16).toUpperCase().padStart(2, '0')
    return [`(${g},xx${e})`, `"${r.creator}"`, r.rule] as const
  })
  out.push(`private attributes (${privateRows.length} rules; creator elements kept for ${p.keptPrivateBlocks.size} blocks):`)
  out.push(...limited(table(privateRows), all), '')

  out.push('defaults:')
  out.push(...table([
    ['private', 'without a rule', p.privateDefault],
    ['public', 'in no row or rule', p.unlistedDefault]
  ]), '')

  const items = [...p.structuredContent].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  out.push(`content items under clean-structured (${items.length}, PS3.15 Table E.3.4-1):`)
  out.push(...limited(table(items.map(([key, rule]) => [key, '', rule])), all), '')
  return out.join('\n')
}

/** Writes the text; a reader that went away (EPIPE, as with `| head`) ends the output quietly. */
async function write (stream: Writable, text: string): Promise<undefined> {
  const failure = await new Promise<unknown>((resolve) => {
    // On failure the stream reports to the callback and emits 'error' too: the listener
    // stays until then, so that the event is not left unhandled.
    const onError = (err: unknown): void => { resolve(err) }
    stream.once('error', onError)
    stream.write(text, (err) => {
      if (err == null) stream.off('error', onError)
      resolve(err ?? undefined)
    })
  })
  if (failure === undefined) return undefined
  const code = typeof failure === 'object' && failure !== null && 'code' in failure ? String(failure.code) : 'unknown'
  if (code === 'EPIPE') return undefined
  throw new DicomgateError('DG_IO', `cannot write the output (${code})`, { cause: failure })
}
