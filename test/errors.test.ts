/**
 * The error catalogue (src/errors.ts) and its documentation (docs/errors.md) stay in step,
 * and every code that src/ throws is catalogued. Codes are an API: clients match on them.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { STATUS_CODES } from 'node:http'
import { join, relative } from 'node:path'
import t from 'tap'
import { DicomError, DicomgateError, ERROR_CATALOGUE, UsageError, isDicomgateError } from '../src/errors.js'
import type { ErrorCode } from '../src/errors.js'
import { REPO_ROOT } from './helpers/corpus.js'

const CODE_PATTERN = /^DG_[A-Z0-9_]+$/
const DOCS_PATH = join(REPO_ROOT, 'docs', 'errors.md')
const SRC_DIR = join(REPO_ROOT, 'src')

const catalogue: ReadonlyMap<string, { status: number, summary: string, remedy: string }> =
  new Map(Object.entries(ERROR_CATALOGUE))

interface DocumentedCode {
  readonly code: string
  readonly status: number
  readonly summary: string
  readonly remedy: string
  readonly line: number
}

/** Splits a Markdown table row into its cells; `\|` is a literal pipe inside a cell. */
function tableCells (row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'))
}

/** Every table row of docs/errors.md whose first cell is a code in backticks. */
function documentedCodes (markdown: string): DocumentedCode[] {
  const rows: DocumentedCode[] = []
  markdown.split('\n').forEach((text, index) => {
    if (!text.trimStart().startsWith('|')) return
    const [first = '', status = '', summary = '', remedy = ''] = tableCells(text)
    const m = /^`(DG_[^`]*)`$/.exec(first)
    if (m === null) return
    rows.push({ code: m[1] ?? '', status: Number(status), summary, remedy, line: index + 1 })
  })
  return rows
}

/** Docs may format code spans (`limits.maxDepth`); the catalogue text is plain. */
function plain (text: string): string {
  return text.replace(/`/g, '').replace(/\s+/g, ' ').trim()
}

function markdownRow (code: string): string {
  const spec = catalogue.get(code)
  return spec === undefined ? '' : `| \`${code}\` | ${spec.status} | ${spec.summary} | ${spec.remedy} |`
}

function sourceFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [path] : []
  })
}

t.test('catalogue invariants', async (t) => {
  t.ok(catalogue.size > 0, 'the catalogue is not empty')
  for (const [code, spec] of catalogue) {
    t.match(code, CODE_PATTERN, `${code}: code has the form DG_UPPER_CASE`)
    t.ok(Number.isInteger(spec.status) && spec.status >= 400 && spec.status <= 599,
      `${code}: status ${spec.status} is an HTTP error status (4xx or 5xx)`)
    t.ok(STATUS_CODES[spec.status] !== undefined, `${code}: status ${spec.status} is a registered HTTP status`)
    t.ok(spec.summary.trim() !== '' && !spec.summary.includes('\n'), `${code}: summary is one non-empty line`)
    t.ok(spec.remedy.trim() !== '', `${code}: has a remedy`)
  }
})

t.test('error classes carry the code and status of the catalogue', async (t) => {
  for (const code of catalogue.keys()) {
    const err = new DicomgateError(code as ErrorCode, 'message', { cause: new Error('inner') })
    t.equal(err.code, code)
    t.equal(err.status, catalogue.get(code)?.status, `${code}: status`)
    t.ok(err.cause instanceof Error, `${code}: keeps the cause`)
    t.ok(isDicomgateError(err))
  }
  const dicom = new DicomError('DG_DICOM_TRUNCATED', 'the input ended inside an element', { offset: 132 })
  t.ok(dicom instanceof DicomgateError)
  t.equal(dicom.offset, 132)
  t.match(dicom.message, /at byte 132/)
  t.equal(new UsageError('no file given').code, 'DG_CLI_USAGE')
  t.notOk(isDicomgateError(new Error('plain')))
})

t.test('docs/errors.md documents exactly the catalogue', async (t) => {
  const documented = documentedCodes(readFileSync(DOCS_PATH, 'utf8'))
  t.ok(documented.length > 0, 'docs/errors.md has a table of codes')

  const seen = new Map<string, number>()
  for (const row of documented) {
    const earlier = seen.get(row.code)
    t.equal(earlier, undefined, `${row.code} is documented once (line ${row.line}${earlier === undefined ? '' : `, also line ${earlier}`})`)
    seen.set(row.code, row.line)

    const spec = catalogue.get(row.code)
    if (spec === undefined) {
      t.fail(`docs/errors.md line ${row.line} documents ${row.code}, which is not in ERROR_CATALOGUE (src/errors.ts)`)
      continue
    }
    t.equal(row.status, spec.status, `${row.code}: documented status matches the catalogue`)
    t.equal(plain(row.summary), plain(spec.summary), `${row.code}: documented summary matches the catalogue`)
    t.equal(plain(row.remedy), plain(spec.remedy), `${row.code}: documented remedy matches the catalogue`)
  }

  for (const code of catalogue.keys()) {
    t.ok(seen.has(code), `${code} is documented in docs/errors.md`, seen.has(code) ? {} : { diagnostic: true, rowToAdd: markdownRow(code) })
  }
})

t.test('every DG_ code used in src/ is in the catalogue', async (t) => {
  const files = sourceFiles(SRC_DIR)
  t.ok(files.length > 0, 'src/ has source files')
  // Quoted literals: new DicomError('DG_…'), this.#error("DG_…"), code === `DG_…`, …
  const literal = /(['"`])(DG_[A-Za-z0-9_]*)\1/g
  let uses = 0
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(literal)) {
      const code = m[2] ?? ''
      const line = text.slice(0, m.index).split('\n').length
      uses++
      t.ok(catalogue.has(code), `${relative(REPO_ROOT, file)}:${line} uses ${code}, which must be in ERROR_CATALOGUE`)
    }
  }
  t.comment(`${uses} code literals in ${files.length} files`)
})
