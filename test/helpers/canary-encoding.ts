/**
 * A small DICOM encoder for synthetic test instances, written apart from src/dicom/writer.ts
 * so that a leak test does not depend on the codec it checks: a dataset model (elements,
 * items) and its Part 10 encoding in Explicit VR LE, Implicit VR LE, Explicit VR BE and
 * Deflated Explicit VR LE (PS3.5 §7, §A.1-A.5; PS3.10 §7.1), plus an ISO 2022 IR 87 text
 * encoder (PS3.5 §6.1.2.5.3, Annex H), which the codec's charset module does not write.
 */
import { Buffer } from 'node:buffer'
import { deflateRawSync } from 'node:zlib'
import type { Tag } from '../../src/dicom/tags.js'
import type { VR } from '../../src/dicom/vr.js'

export type Encoding = 'explicit-le' | 'implicit-le' | 'explicit-be' | 'deflated'
export const ENCODINGS: readonly Encoding[] = ['explicit-le', 'implicit-le', 'explicit-be', 'deflated']

export const TRANSFER_SYNTAX_UID: Readonly<Record<Encoding, string>> = {
  'explicit-le': '1.2.840.10008.1.2.1',
  'implicit-le': '1.2.840.10008.1.2',
  'explicit-be': '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99'
}

/** One element: bytes (text already encoded, OB, OW…), numbers (US, UL, FD…) or items (SQ). */
export interface Element {
  readonly tag: Tag
  readonly vr: VR
  readonly value: Uint8Array | readonly number[] | readonly Item[]
  /**
   * Explicit VR: write the element as UN with a defined length, as a receiver that did not
   * know it would (PS3.5 §6.2.2). A sequence is then its Implicit VR LE encoding (Explicit VR
   * LE only: in big endian it stays a sequence).
   */
  readonly asUN?: boolean
  /** Sequences: defined lengths for the sequence and its items (default: undefined length). */
  readonly definedLength?: boolean
}

export type Item = readonly Element[]

interface Syntax { readonly explicit: boolean, readonly little: boolean }

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'])
const TEXT = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT'])
/** Word width of the binary VRs whose bytes swap in big endian. */
const WORD: Readonly<Record<string, number>> = { OW: 2, US: 2, SS: 2, OF: 4, OL: 4, UL: 4, SL: 4, FL: 4, AT: 2, OD: 8, FD: 8, OV: 8, SV: 8, UV: 8 }

function u16 (n: number, little: boolean): Buffer {
  const b = Buffer.alloc(2)
  if (little) b.writeUInt16LE(n)
  else b.writeUInt16BE(n)
  return b
}

function u32 (n: number, little: boolean): Buffer {
  const b = Buffer.alloc(4)
  if (little) b.writeUInt32LE(n >>> 0)
  else b.writeUInt32BE(n >>> 0)
  return b
}

function numbers (vr: VR, values: readonly number[], little: boolean): Buffer {
  const width = WORD[vr] ?? 0
  const b = Buffer.alloc(values.length * width)
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  values.forEach((v, i) => {
    const at = i * width
    switch (vr) {
      case 'US': view.setUint16(at, v, little); break
      case 'SS': view.setInt16(at, v, little); break
      case 'UL': view.setUint32(at, v, little); break
      case 'SL': view.setInt32(at, v, little); break
      case 'FL': view.setFloat32(at, v, little); break
      case 'FD': view.setFloat64(at, v, little); break
      default: throw new Error(`numbers: ${vr}`)
    }
  })
  return b
}

function padded (vr: VR, bytes: Uint8Array): Buffer {
  const b = Buffer.from(bytes)
  if (b.length % 2 === 0) return b
  return Buffer.concat([b, Buffer.of(TEXT.has(vr) && vr !== 'UI' ? 0x20 : 0x00)])
}

function swapped (bytes: Buffer, width: number): Buffer {
  const copy = Buffer.from(bytes)
  if (width === 2 && copy.length % 2 === 0) copy.swap16()
  else if (width === 4 && copy.length % 4 === 0) copy.swap32()
  else if (width === 8 && copy.length % 8 === 0) copy.swap64()
  return copy
}

function header (tag: Tag, vr: VR | undefined, length: number, s: Syntax): Buffer {
  const parts = [u16(tag >>> 16, s.little), u16(tag & 0xffff, s.little)]
  if (!s.explicit || vr === undefined) parts.push(u32(length, s.little))
  else if (LONG.has(vr)) parts.push(Buffer.from(vr, 'latin1'), Buffer.alloc(2), u32(length, s.little))
  else parts.push(Buffer.from(vr, 'latin1'), u16(length, s.little))
  return Buffer.concat(parts)
}

const ITEM = 0xfffee000
const ITEM_END = 0xfffee00d
const SEQUENCE_END = 0xfffee0dd
const UNDEFINED = 0xffffffff

function sequence (element: Element, s: Syntax, defined: boolean): Buffer {
  const parts: Buffer[] = []
  for (const item of element.value as readonly Item[]) {
    const body = encodeDataset(item, s)
    if (defined) parts.push(header(ITEM, undefined, body.length, { explicit: false, little: s.little }), body)
    else parts.push(header(ITEM, undefined, UNDEFINED, { explicit: false, little: s.little }), body, header(ITEM_END, undefined, 0, { explicit: false, little: s.little }))
  }
  if (!defined) parts.push(header(SEQUENCE_END, undefined, 0, { explicit: false, little: s.little }))
  return Buffer.concat(parts)
}

function encodeElement (element: Element, s: Syntax): Buffer {
  const { tag, vr, value } = element
  if (vr === 'SQ') {
    if (element.asUN === true && s.explicit && s.little) {
      // PS3.5 §6.2.2: a UN value holds the Implicit VR LE encoding; here with defined lengths.
      const body = sequence(element, { explicit: false, little: true }, true)
      return Buffer.concat([header(tag, 'UN', body.length, s), body])
    }
    const defined = element.definedLength === true
    const body = sequence(element, s, defined)
    return Buffer.concat([header(tag, 'SQ', defined ? body.length : UNDEFINED, s), body])
  }
  let bytes: Buffer
  if (value instanceof Uint8Array) {
    bytes = padded(vr, value)
    const width = WORD[vr]
    if (!s.little && width !== undefined) bytes = swapped(bytes, width)
  } else {
    bytes = numbers(vr, value as readonly number[], s.little)
  }
  const writtenVR: VR = element.asUN === true && s.explicit ? 'UN' : vr
  return Buffer.concat([header(tag, writtenVR, bytes.length, s), bytes])
}

/** The elements of one dataset or item, in ascending tag order (PS3.5 §7.1). */
export function encodeDataset (elements: readonly Element[], s: Syntax): Buffer {
  const sorted = [...elements].sort((a, b) => (a.tag >>> 0) - (b.tag >>> 0))
  for (let i = 1; i < sorted.length; i++) {
    if ((sorted[i] as Element).tag === (sorted[i - 1] as Element).tag) throw new Error(`duplicate tag ${(sorted[i] as Element).tag.toString(16)}`)
  }
  return Buffer.concat(sorted.map((e) => encodeElement(e, s)))
}

export interface Part10 {
  readonly preamble: Uint8Array
  /** Group 0002 elements but (0002,0000) and (0002,0010), which are computed. */
  readonly meta: readonly Element[]
  readonly dataset: readonly Element[]
}

/** A Part 10 file (PS3.10 §7.1): preamble, DICM, file meta (Explicit VR LE), dataset. */
export function encodePart10 (file: Part10, encoding: Encoding): Buffer {
  if (file.preamble.length !== 128) throw new Error('the preamble is 128 bytes')
  const le = { explicit: true, little: true }
  const metaBody = encodeDataset([...file.meta, { tag: 0x00020010, vr: 'UI', value: Buffer.from(TRANSFER_SYNTAX_UID[encoding], 'latin1') }], le)
  const groupLength = encodeElement({ tag: 0x00020000, vr: 'UL', value: [metaBody.length] }, le)
  const syntax = encoding === 'implicit-le' ? { explicit: false, little: true } : encoding === 'explicit-be' ? { explicit: true, little: false } : le
  let body = encodeDataset(file.dataset, syntax)
  if (encoding === 'deflated') body = deflateRawSync(body)
  return Buffer.concat([Buffer.from(file.preamble), Buffer.from('DICM', 'latin1'), groupLength, metaBody, body])
}

// ── ISO 2022 IR 87 (JIS X 0208 in G0 by ESC $ B) ────────────────────────────────────────

let jisTable: Map<string, readonly [number, number]> | undefined

/** Character → JIS X 0208 row/cell bytes (7-bit), built from the EUC-JP decoder. */
function jis (): Map<string, readonly [number, number]> {
  if (jisTable !== undefined) return jisTable
  jisTable = new Map()
  const decoder = new TextDecoder('euc-jp', { fatal: false })
  for (let a = 0xa1; a <= 0xfe; a++) {
    for (let b = 0xa1; b <= 0xfe; b++) {
      const char = decoder.decode(Uint8Array.of(a, b))
      if (char.length === 1 && char !== '\ufffd' && !jisTable.has(char)) jisTable.set(char, [a & 0x7f, b & 0x7f])
    }
  }
  return jisTable
}

const ESC_JIS = [0x1b, 0x24, 0x42] // ESC $ B: JIS X 0208 into G0
const ESC_ASCII = [0x1b, 0x28, 0x42] // ESC ( B: ASCII into G0

/**
 * Text in ISO 2022 IR 6 + IR 87 as PS3.5 Annex H writes it: JIS X 0208 runs between ESC $ B
 * and ESC ( B, ASCII back before any delimiter and at the end of the value.
 */
export function encodeIso2022Jp (text: string): Buffer {
  const out: number[] = []
  let inJis = false
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    if (code < 0x80) {
      if (inJis) out.push(...ESC_ASCII)
      inJis = false
      out.push(code)
      continue
    }
    const pair = jis().get(char)
    if (pair === undefined) throw new Error(`not in JIS X 0208: U+${code.toString(16)}`)
    if (!inJis) out.push(...ESC_JIS)
    inJis = true
    out.push(pair[0], pair[1])
  }
  if (inJis) out.push(...ESC_ASCII)
  return Buffer.from(out)
}

/** The 7-bit JIS X 0208 bytes of text made only of JIS X 0208 characters, or undefined. */
export function jisBytes (text: string): Buffer | undefined {
  const out: number[] = []
  for (const char of text) {
    const pair = jis().get(char)
    if (pair === undefined) return undefined
    out.push(pair[0], pair[1])
  }
  return Buffer.from(out)
}
