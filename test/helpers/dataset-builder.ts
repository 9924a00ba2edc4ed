/**
 * A small Explicit VR Little Endian encoder for test datasets with any tag, any VR and any
 * nesting: element headers per PS3.5 §7.1.2 (Table 7.1-1: which VRs have a 32-bit length),
 * even-length padding per PS3.5 §6.2, sequences and items per PS3.5 §7.5 (defined or
 * undefined length), the File Meta Information of PS3.10 §7.1.
 *
 * Deliberately independent of src/dicom (as bench/lib/dicom-encoder.ts is, which covers only
 * the VRs the benchmark writes): the input of a test must not be produced by the codec it
 * feeds, or a shared misreading of PS3.5 would go unnoticed.
 */
import { Buffer } from 'node:buffer'

export type BuilderVR =
  | 'AE' | 'AS' | 'AT' | 'CS' | 'DA' | 'DS' | 'DT' | 'FD' | 'FL' | 'IS' | 'LO' | 'LT' | 'OB' | 'OD'
  | 'OF' | 'OL' | 'OV' | 'OW' | 'PN' | 'SH' | 'SL' | 'SQ' | 'SS' | 'ST' | 'SV' | 'TM' | 'UC' | 'UI'
  | 'UL' | 'UN' | 'UR' | 'US' | 'UT' | 'UV'

/** An element with its value bytes (unpadded; the encoder pads to even length). */
export interface ValueNode {
  readonly tag: number
  readonly vr: Exclude<BuilderVR, 'SQ'>
  readonly value: Uint8Array
}

/** A sequence: each item is a list of nodes (any order: the encoder sorts them). */
export interface SequenceNode {
  readonly tag: number
  readonly vr: 'SQ'
  readonly items: ReadonlyArray<readonly DatasetNode[]>
}

export type DatasetNode = ValueNode | SequenceNode

export type LengthMode = 'defined' | 'undefined'

/** PS3.5 Table 7.1-1: reserved bytes and a 32-bit length in Explicit VR. */
const LONG_LENGTH: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'])
/** PS3.5 §6.2: text is padded with a space, UI and binary values with NUL. */
const SPACE_PADDED: ReadonlySet<string> = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UR', 'UT'])

const ITEM = 0xfffee000
const ITEM_DELIMITATION = 0xfffee00d
const SEQUENCE_DELIMITATION = 0xfffee0dd
const UNDEFINED = 0xffffffff

function tagBytes (tag: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt16LE(tag >>> 16, 0)
  b.writeUInt16LE(tag & 0xffff, 2)
  return b
}

function header (tag: number, vr: BuilderVR, length: number): Buffer {
  if (LONG_LENGTH.has(vr)) {
    const b = Buffer.alloc(12)
    tagBytes(tag).copy(b, 0)
    b.write(vr, 4, 'latin1')
    b.writeUInt32LE(length >>> 0, 8)
    return b
  }
  if (length > 0xffff) throw new RangeError(`${vr} value of ${length} bytes needs a 32-bit length`)
  const b = Buffer.alloc(8)
  tagBytes(tag).copy(b, 0)
  b.write(vr, 4, 'latin1')
  b.writeUInt16LE(length, 6)
  return b
}

function itemHeader (tag: number, length: number): Buffer {
  const b = Buffer.alloc(8)
  tagBytes(tag).copy(b, 0)
  b.writeUInt32LE(length >>> 0, 4)
  return b
}

function encodeNode (node: DatasetNode, mode: LengthMode): Buffer {
  if (node.vr !== 'SQ') {
    const pad = node.value.length % 2 === 1 ? [SPACE_PADDED.has(node.vr) ? 0x20 : 0x00] : []
    const value = Buffer.concat([node.value, Buffer.from(pad)])
    return Buffer.concat([header(node.tag, node.vr, value.length), value])
  }
  const parts: Buffer[] = []
  for (const item of node.items) {
    const body = encodeDataset(item, mode)
    if (mode === 'defined') parts.push(itemHeader(ITEM, body.length), body)
    else parts.push(itemHeader(ITEM, UNDEFINED), body, itemHeader(ITEM_DELIMITATION, 0))
  }
  if (mode === 'undefined') parts.push(itemHeader(SEQUENCE_DELIMITATION, 0))
  const value = Buffer.concat(parts)
  return Buffer.concat([header(node.tag, 'SQ', mode === 'defined' ? value.length : UNDEFINED), value])
}

/** A dataset or item: its nodes in ascending tag order (PS3.5 §7.1); a duplicate tag throws. */
export function encodeDataset (nodes: readonly DatasetNode[], mode: LengthMode = 'undefined'): Buffer {
  const sorted = [...nodes].sort((a, b) => a.tag - b.tag)
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.tag === sorted[i - 1]?.tag) throw new Error(`duplicate tag ${(sorted[i]?.tag ?? 0).toString(16).padStart(8, '0')}`)
  }
  return Buffer.concat(sorted.map((n) => encodeNode(n, mode)))
}

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1'

/**
 * A Part 10 file (PS3.10 §7.1): zero preamble, "DICM", the File Meta Information with its
 * group length, then the dataset in Explicit VR Little Endian.
 */
export function part10 (meta: { sopClassUID: string, sopInstanceUID: string }, dataset: readonly DatasetNode[], mode: LengthMode = 'undefined'): Buffer {
  const group = encodeDataset([
    { tag: 0x00020001, vr: 'OB', value: Uint8Array.of(0x00, 0x01) },
    text(0x00020002, 'UI', meta.sopClassUID),
    text(0x00020003, 'UI', meta.sopInstanceUID),
    text(0x00020010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    text(0x00020012, 'UI', '2.25.1')
  ], 'defined')
  const groupLength = Buffer.alloc(4)
  groupLength.writeUInt32LE(group.length, 0)
  return Buffer.concat([
    Buffer.alloc(128), Buffer.from('DICM', 'latin1'),
    encodeNode({ tag: 0x00020000, vr: 'UL', value: groupLength }, 'defined'),
    group,
    encodeDataset(dataset, mode)
  ])
}

// ── values ──────────────────────────────────────────────────────────────────────────────

/** A text element; several values are joined with a backslash (PS3.5 §6.4). ASCII only. */
export function text (tag: number, vr: Exclude<BuilderVR, 'SQ'>, ...values: string[]): ValueNode {
  return { tag, vr, value: Buffer.from(values.join('\\'), 'latin1') }
}

/** One binary number of a numeric VR, little endian (PS3.5 §7.3). */
export function binaryNumber (vr: 'US' | 'SS' | 'UL' | 'SL' | 'FL' | 'FD' | 'SV' | 'UV', n: number): Uint8Array {
  const b = Buffer.alloc(vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' || vr === 'SV' || vr === 'UV' ? 8 : 4)
  switch (vr) {
    case 'US': b.writeUInt16LE(n, 0); break
    case 'SS': b.writeInt16LE(n, 0); break
    case 'UL': b.writeUInt32LE(n, 0); break
    case 'SL': b.writeInt32LE(n, 0); break
    case 'FL': b.writeFloatLE(n, 0); break
    case 'FD': b.writeDoubleLE(n, 0); break
    case 'SV': b.writeBigInt64LE(BigInt(n), 0); break
    case 'UV': b.writeBigUInt64LE(BigInt(n), 0)
  }
  return b
}

/** An Attribute Tag value (PS3.5 §6.2 AT): group then element, each 16-bit LE. */
export function attributeTag (tag: number): Uint8Array {
  return tagBytes(tag)
}

export function sequence (tag: number, ...items: ReadonlyArray<readonly DatasetNode[]>): SequenceNode {
  return { tag, vr: 'SQ', items }
}
