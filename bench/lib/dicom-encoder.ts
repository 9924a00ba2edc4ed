/**
 * A tiny Explicit VR Little Endian encoder for the benchmark's synthetic files.
 *
 * Deliberately independent of src/dicom: the benchmark data must not be produced by the
 * code it measures, or a shared misreading of PS3.5 would go unnoticed (dcmdump checks the
 * generated files instead). It covers only what the generator writes: element headers per
 * PS3.5 §7.1.2, even-length padding per PS3.5 §6.2, sequences and items per PS3.5 §7.5,
 * and the File Meta Information of PS3.10 §7.1.
 */

/** The VRs the generator writes; a subset of PS3.5 Table 6.2-1. */
export type BenchVR =
  | 'AE' | 'AS' | 'AT' | 'CS' | 'DA' | 'DS' | 'DT' | 'FD' | 'FL' | 'IS' | 'LO' | 'LT' | 'OB'
  | 'OW' | 'PN' | 'SH' | 'SQ' | 'SS' | 'ST' | 'TM' | 'UI' | 'UL' | 'US' | 'UT'

/** PS3.5 Table 7.1-1: these VRs have 2 reserved bytes and a 32-bit length in Explicit VR. */
const LONG_LENGTH_VRS: ReadonlySet<BenchVR> = new Set<BenchVR>(['OB', 'OW', 'SQ', 'UT'])

/** PS3.5 §7.1.1: the length field value meaning "undefined length". */
export const UNDEFINED_LENGTH = 0xffffffff

/** PS3.5 §7.5: Item, Item Delimitation Item and Sequence Delimitation Item tags. */
const ITEM_TAG = 0xfffee000
const ITEM_DELIMITATION_TAG = 0xfffee00d
const SEQUENCE_DELIMITATION_TAG = 0xfffee0dd

const FILE_META_GROUP_LENGTH_TAG = 0x00020000
const PREAMBLE_BYTES = 128

/** One encoded element, item or sequence: the generator concatenates these. */
export type Encoded = Buffer

function writeTag (buf: Buffer, offset: number, tag: number): void {
  buf.writeUInt16LE(tag >>> 16, offset)
  buf.writeUInt16LE(tag & 0xffff, offset + 2)
}

/**
 * The header of an Explicit VR LE element (PS3.5 §7.1.2) with the given value length.
 * Exported on its own so that Pixel Data can be streamed after it without holding it.
 */
export function elementHeader (tag: number, vr: BenchVR, length: number): Buffer {
  if (LONG_LENGTH_VRS.has(vr)) {
    const buf = Buffer.alloc(12)
    writeTag(buf, 0, tag)
    buf.write(vr, 4, 'latin1')
    // Bytes 6-7 are the reserved field, left 0000H.
    buf.writeUInt32LE(length, 8)
    return buf
  }
  if (length > 0xffff) throw new RangeError(`value of ${vr} too long for a 16-bit length: ${length}`)
  const buf = Buffer.alloc(8)
  writeTag(buf, 0, tag)
  buf.write(vr, 4, 'latin1')
  buf.writeUInt16LE(length, 6)
  return buf
}

/** PS3.5 §6.2: UI is padded with NUL, other text with a space, binary with NUL. */
function paddingByte (vr: BenchVR): number {
  switch (vr) {
    case 'AT': case 'OB': case 'OW': case 'UI': case 'FD': case 'FL': case 'SS': case 'UL': case 'US':
      return 0x00
    default:
      return 0x20
  }
}

/** An element whose value is given as bytes; padded to even length. */
export function bytesElement (tag: number, vr: BenchVR, value: Uint8Array): Encoded {
  const padded = value.length % 2 === 1
  const length = value.length + (padded ? 1 : 0)
  const header = elementHeader(tag, vr, length)
  const parts: Buffer[] = [header, Buffer.from(value.buffer, value.byteOffset, value.length)]
  if (padded) parts.push(Buffer.of(paddingByte(vr)))
  return Buffer.concat(parts, header.length + length)
}

/** A text element; several values are joined with backslash (PS3.5 §6.4). */
export function text (tag: number, vr: BenchVR, ...values: string[]): Encoded {
  // Latin-1 covers the default repertoire and ISO_IR 100, the only character set written.
  return bytesElement(tag, vr, Buffer.from(values.join('\\'), 'latin1'))
}

/** Binary numbers of one VR, `width` bytes each, little endian (PS3.5 §7.3). */
function numbers (tag: number, vr: BenchVR, width: number, values: readonly number[], write: (buf: Buffer, v: number, at: number) => unknown): Encoded {
  const buf = Buffer.alloc(width * values.length)
  values.forEach((v, i) => write(buf, v, width * i))
  return bytesElement(tag, vr, buf)
}

export const us = (tag: number, ...values: number[]): Encoded => numbers(tag, 'US', 2, values, (b, v, at) => b.writeUInt16LE(v, at))
export const ss = (tag: number, ...values: number[]): Encoded => numbers(tag, 'SS', 2, values, (b, v, at) => b.writeInt16LE(v, at))
export const ul = (tag: number, ...values: number[]): Encoded => numbers(tag, 'UL', 4, values, (b, v, at) => b.writeUInt32LE(v, at))
export const fd = (tag: number, ...values: number[]): Encoded => numbers(tag, 'FD', 8, values, (b, v, at) => b.writeDoubleLE(v, at))
export const fl = (tag: number, ...values: number[]): Encoded => numbers(tag, 'FL', 4, values, (b, v, at) => b.writeFloatLE(v, at))

/** Attribute Tag values (PS3.5 §6.2): each a group then an element, both 16-bit. */
export function at (tag: number, ...tags: number[]): Encoded {
  const buf = Buffer.alloc(4 * tags.length)
  tags.forEach((t, i) => writeTag(buf, 4 * i, t))
  return bytesElement(tag, 'AT', buf)
}

/** Decimal String values (PS3.5 §6.2: at most 16 bytes each); toPrecision keeps them short. */
export function ds (tag: number, ...values: number[]): Encoded {
  return text(tag, 'DS', ...values.map((v) => String(Number(v.toPrecision(10)))))
}

/** The tag an encoded element starts with (PS3.5 §7.1.2: group then element, LE). */
function tagOf (encoded: Encoded): number {
  return ((encoded.readUInt16LE(0) << 16) | encoded.readUInt16LE(2)) >>> 0
}

/**
 * Elements of a dataset or item in ascending tag order, as PS3.5 §7.1 requires; callers
 * may list them in whatever order reads best.
 */
export function dataset (elements: readonly Encoded[]): Encoded {
  const sorted = [...elements].sort((a, b) => tagOf(a) - tagOf(b))
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1] as Encoded
    const current = sorted[i] as Encoded
    if (tagOf(previous) === tagOf(current)) throw new Error(`duplicate tag ${tagOf(current).toString(16).padStart(8, '0')} in generated dataset`)
  }
  return Buffer.concat(sorted)
}

export type LengthMode = 'defined' | 'undefined'

function itemOrDelimiter (tag: number, length: number): Buffer {
  const buf = Buffer.alloc(8)
  writeTag(buf, 0, tag)
  buf.writeUInt32LE(length, 4)
  return buf
}

/**
 * A sequence (PS3.5 §7.5): each item is the concatenation of its elements. Real files mix
 * both encodings, so the generator uses both; `mode` applies to the sequence and its items.
 */
export function sequence (tag: number, items: readonly (readonly Encoded[])[], mode: LengthMode): Encoded {
  const parts: Buffer[] = []
  for (const elements of items) {
    const body = dataset(elements)
    if (mode === 'defined') {
      parts.push(itemOrDelimiter(ITEM_TAG, body.length), body)
    } else {
      parts.push(itemOrDelimiter(ITEM_TAG, UNDEFINED_LENGTH), body, itemOrDelimiter(ITEM_DELIMITATION_TAG, 0))
    }
  }
  if (mode === 'undefined') parts.push(itemOrDelimiter(SEQUENCE_DELIMITATION_TAG, 0))
  const value = Buffer.concat(parts)
  const header = elementHeader(tag, 'SQ', mode === 'defined' ? value.length : UNDEFINED_LENGTH)
  return Buffer.concat([header, value])
}

/**
 * Preamble, "DICM" and the File Meta Information group (PS3.10 §7.1), whose group length
 * (0002,0000) counts the bytes of the elements after it.
 */
export function fileMeta (elements: readonly Encoded[]): Encoded {
  const group = dataset(elements)
  const groupLength = ul(FILE_META_GROUP_LENGTH_TAG, group.length)
  return Buffer.concat([Buffer.alloc(PREAMBLE_BYTES), Buffer.from('DICM', 'latin1'), groupLength, group])
}
