/**
 * One shape for what a de-identified dataset holds, read from either form: Part 10 tokens
 * (readTokens of the output bytes) or the DICOM JSON model (PS3.18 §F.2). Tests state their
 * expectations once and check both forms with them; `repr` compares values within one form.
 *
 * - string VRs (PS3.5 §6.2): `strings`, split at the backslash where the VR is multi-valued
 *   (§6.4), padding removed; PN as "Alphabetic=Ideographic=Phonetic"; IS/DS numbers of the
 *   JSON model as their decimal text.
 * - everything else: `repr` only (hex of the bytes; the JSON of Value or InlineBinary).
 * - sequences: their items.
 */
import { Buffer } from 'node:buffer'
import type { DicomJsonAttribute, DicomJsonDataset, DicomJsonPersonName } from '../../src/dicom/json.js'
import type { Token } from '../../src/dicom/tokens.js'

export type ObservedDataset = Map<string, Observed>

export type Observed =
  | { readonly kind: 'value', readonly vr: string, readonly empty: boolean, readonly strings: readonly string[] | null, readonly repr: string }
  | { readonly kind: 'sequence', readonly vr: string, readonly items: readonly ObservedDataset[] }

/** What the Part 10 form holds: the file meta (group 0002) and the dataset. */
export interface ObservedFile {
  readonly meta: ObservedDataset
  readonly dataset: ObservedDataset
}

const STRING_VRS: ReadonlySet<string> = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT'])
const SINGLE_VALUED: ReadonlySet<string> = new Set(['LT', 'ST', 'UT', 'UR'])

export function tagKeyOf (tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0')
}

/** PS3.5 §6.2: trailing spaces (NUL for UI) are padding; leading spaces too, but in LT/ST/UT. */
function decodeStrings (vr: string, bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes).toString('latin1')
  if (SINGLE_VALUED.has(vr)) return [text.replace(/[\0 ]+$/, '')]
  return text.split('\\').map((v) => v.replace(/[\0 ]+$/, '').replace(/^ +/, ''))
}

function valueFromBytes (vr: string, bytes: Uint8Array): Observed {
  const empty = bytes.length === 0
  if (STRING_VRS.has(vr)) {
    const strings = empty ? [] : decodeStrings(vr, bytes)
    return { kind: 'value', vr, empty: strings.every((s) => s === ''), strings, repr: JSON.stringify(strings) }
  }
  return { kind: 'value', vr, empty, strings: null, repr: Buffer.from(bytes).toString('hex') }
}

/** The Part 10 form: tokens of readTokens, values read as Explicit VR LE (what the tests write). */
export function observeTokens (tokens: readonly Token[]): ObservedFile {
  const meta: ObservedDataset = new Map()
  const root: ObservedDataset = new Map()
  // Open datasets and sequences, innermost last.
  const datasets: ObservedDataset[] = [meta]
  const sequences: Array<{ key: string, vr: string, items: ObservedDataset[] }> = []
  let pending: { tag: number, vr: string, chunks: Uint8Array[] } | null = null
  for (const t of tokens) {
    const current = datasets[datasets.length - 1] as ObservedDataset
    switch (t.type) {
      case 'dataset': datasets[0] = root; break
      case 'element': current.set(tagKeyOf(t.tag), valueFromBytes(t.vr, t.value)); break
      case 'value-start': pending = { tag: t.tag, vr: t.vr, chunks: [] }; break
      case 'value-chunk': pending?.chunks.push(Buffer.from(t.bytes)); break
      case 'value-end':
        if (pending !== null) current.set(tagKeyOf(pending.tag), valueFromBytes(pending.vr, Buffer.concat(pending.chunks)))
        pending = null
        break
      case 'sequence-start': sequences.push({ key: tagKeyOf(t.tag), vr: t.vr, items: [] }); break
      case 'item-start': {
        const item: ObservedDataset = new Map()
        sequences[sequences.length - 1]?.items.push(item)
        datasets.push(item)
        break
      }
      case 'item-end': datasets.pop(); break
      case 'sequence-end': {
        const s = sequences.pop()
        if (s !== undefined) (datasets[datasets.length - 1] as ObservedDataset).set(s.key, { kind: 'sequence', vr: s.vr, items: s.items })
        break
      }
      case 'encapsulated-start': current.set(tagKeyOf(t.tag), { kind: 'value', vr: t.vr, empty: false, strings: null, repr: 'encapsulated' }); break
      default: break
    }
  }
  return { meta, dataset: root }
}

function personName (pn: DicomJsonPersonName): string {
  return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '')
}

function jsonStrings (attr: DicomJsonAttribute): string[] {
  return (attr.Value ?? []).map((v) => {
    if (v === null) return ''
    if (typeof v === 'string') return v
    if (typeof v === 'number') return String(v)
    return personName(v as DicomJsonPersonName)
  })
}

/** The DICOM JSON form (PS3.18 §F.2). */
export function observeJson (dataset: DicomJsonDataset): ObservedDataset {
  const out: ObservedDataset = new Map()
  for (const [key, attr] of Object.entries(dataset)) {
    if (attr.vr === 'SQ') {
      const items = (attr.Value ?? []).map((item) => observeJson(item as DicomJsonDataset))
      out.set(key, { kind: 'sequence', vr: attr.vr, items })
      continue
    }
    const empty = attr.Value === undefined && attr.InlineBinary === undefined && attr.BulkDataURI === undefined
    if (STRING_VRS.has(attr.vr)) {
      const strings = jsonStrings(attr)
      out.set(key, { kind: 'value', vr: attr.vr, empty: strings.every((s) => s === ''), strings, repr: JSON.stringify(strings) })
    } else {
      const repr = attr.InlineBinary !== undefined ? Buffer.from(attr.InlineBinary, 'base64').toString('hex') : JSON.stringify(attr.Value ?? attr.BulkDataURI ?? null)
      out.set(key, { kind: 'value', vr: attr.vr, empty, strings: null, repr })
    }
  }
  return out
}
