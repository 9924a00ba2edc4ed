/**
 * Synthetic instances for the canary test (issue 3, must show 2): every attribute a shipped
 * profile must remove or replace carries its own canary string (canary-values.ts), so that
 * a leak names its source.
 *
 * - `buildTableInstance`: every row of PS3.15 Table E.1-1, plus private tags (with and
 *   without creator, in sequences, private sequences, a safe-private block), nested
 *   sequences (SR content three levels deep), overlays, curves, an icon image, file meta,
 *   the preamble, sequences and text written as UN, values large enough to be streamed;
 * - `buildCharsetInstance`: non-ASCII canaries (person names with ideographic and phonetic
 *   groups, free text, items with their own character set) in Latin-1, UTF-8, ISO 2022 IR 87
 *   and GB18030 datasets.
 */
import { Buffer } from 'node:buffer'
import { lookupTag } from '../../src/dicom/dictionary.js'
import { formatTag, makeTag, type Tag } from '../../src/dicom/tags.js'
import type { VR } from '../../src/dicom/vr.js'
import type { Encoding, Part10 } from './canary-encoding.js'
import { InstanceBuilder, describe, latin1, type Scope } from './canary-scope.js'
import { CHARSET_CASES, DEFAULT_CASE, type Canary, type CharsetCase, type Planter } from './canary-values.js'
import { safePrivateRows, tableRows } from './deid-expectations.js'

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2'
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018)

export interface CanaryInstance {
  readonly name: string
  readonly file: Part10
  readonly canaries: readonly Canary[]
  readonly encodings: readonly Encoding[]
}

/** File meta with a canary in everything the source may put there (PS3.10 §7.1). */
function plantMeta (b: InstanceBuilder, sopInstanceUID: string): void {
  b.metaPlain(makeTag(0x0002, 0x0001), 'OB', Uint8Array.of(0, 1))
  b.metaPlain(makeTag(0x0002, 0x0002), 'UI', CT_IMAGE_STORAGE)
  b.metaCanary(makeTag(0x0002, 0x0003), 'UI', sopInstanceUID)
  b.metaCanary(makeTag(0x0002, 0x0012), 'UI')
  b.metaCanary(makeTag(0x0002, 0x0013), 'SH')
  for (const element of [0x0016, 0x0017, 0x0018]) b.metaCanary(makeTag(0x0002, element), 'AE')
  for (const element of [0x0026, 0x0027, 0x0028]) b.metaCanary(makeTag(0x0002, element), 'UR')
  b.metaCanary(makeTag(0x0002, 0x0100), 'UI')
  const info = b.planter.token()
  b.metaCanary(makeTag(0x0002, 0x0102), 'OB', info, latin1(info))
}

/** What an image needs to stay a valid CT instance (no canary). */
function plantImage (top: Scope): void {
  top.plain(makeTag(0x0008, 0x0016), 'UI', CT_IMAGE_STORAGE)
  top.plain(makeTag(0x0008, 0x0060), 'CS', 'CT')
  top.plain(makeTag(0x0020, 0x0013), 'IS', '1')
  top.numbers(makeTag(0x0028, 0x0002), 'US', [1])
  top.plain(makeTag(0x0028, 0x0004), 'CS', 'MONOCHROME2')
  top.numbers(makeTag(0x0028, 0x0010), 'US', [2])
  top.numbers(makeTag(0x0028, 0x0011), 'US', [2])
  top.numbers(makeTag(0x0028, 0x0100), 'US', [16])
  top.numbers(makeTag(0x0028, 0x0101), 'US', [12])
  top.numbers(makeTag(0x0028, 0x0102), 'US', [11])
  top.numbers(makeTag(0x0028, 0x0103), 'US', [0])
  top.plain(makeTag(0x0028, 0x0301), 'CS', 'NO')
  top.bytes(makeTag(0x7fe0, 0x0010), 'OW', Buffer.alloc(8))
}

/** Sequences with items shaped like the real ones (the rest get `codeItem`). */
const CUSTOM_SEQUENCES: ReadonlyMap<Tag, (top: Scope) => void> = new Map<Tag, (top: Scope) => void>([
  // SR content, three levels deep: text, person name, date, UID, a coded concept.
  [makeTag(0x0040, 0xa730), (top) => top.sequence(makeTag(0x0040, 0xa730), (l1) => {
    l1.plain(makeTag(0x0040, 0xa010), 'CS', 'CONTAINS')
    l1.plain(makeTag(0x0040, 0xa040), 'CS', 'TEXT')
    l1.sequence(makeTag(0x0040, 0xa043), (c) => { c.plain(makeTag(0x0008, 0x0100), 'SH', '121071'); c.plain(makeTag(0x0008, 0x0102), 'SH', 'DCM'); c.plain(makeTag(0x0008, 0x0104), 'LO', 'Finding') })
    l1.largeDescriptor(makeTag(0x0040, 0xa160), 'UT', 70 * 1024)
    l1.sequence(makeTag(0x0040, 0xa730), (l2) => {
      l2.plain(makeTag(0x0040, 0xa040), 'CS', 'PNAME')
      l2.canary(makeTag(0x0040, 0xa123), 'PN')
      l2.sequence(makeTag(0x0040, 0xa730), (l3) => {
        l3.plain(makeTag(0x0040, 0xa040), 'CS', 'TEXT')
        l3.canary(makeTag(0x0040, 0xa160), 'UT')
        l3.canary(makeTag(0x0040, 0xa121), 'DA')
        l3.canary(makeTag(0x0040, 0xa124), 'UI')
        l3.sequence(makeTag(0x0040, 0xa168), (c) => c.codeItem(c))
      })
    })
  })],
  // Presentation text: Graphic Annotation Sequence → Text Object Sequence → Unformatted Text Value.
  [makeTag(0x0070, 0x0001), (top) => top.sequence(makeTag(0x0070, 0x0001), (g) => {
    g.plain(makeTag(0x0070, 0x0002), 'CS', 'LAYER1')
    g.sequence(makeTag(0x0070, 0x0008), (text) => {
      text.plain(makeTag(0x0070, 0x0003), 'CS', 'PIXEL')
      text.canary(makeTag(0x0070, 0x0006), 'ST')
    })
  })],
  [makeTag(0x0040, 0x0275), (top) => top.sequence(makeTag(0x0040, 0x0275), (r) => {
    r.canary(makeTag(0x0040, 0x1001), 'SH')
    r.canary(makeTag(0x0040, 0x0009), 'SH')
    r.canary(makeTag(0x0032, 0x1060), 'LO')
    r.canary(makeTag(0x0040, 0x0007), 'LO')
    r.sequence(makeTag(0x0040, 0x0008), (c) => c.codeItem(c))
  })],
  // As UN with a defined length in Explicit VR LE (PS3.5 §6.2.2): read back as Implicit VR LE.
  [makeTag(0x0010, 0x1002), (top) => top.sequence(makeTag(0x0010, 0x1002), (o) => {
    o.canary(makeTag(0x0010, 0x0020), 'LO')
    o.canary(makeTag(0x0010, 0x0021), 'LO')
    o.plain(makeTag(0x0010, 0x0022), 'CS', 'TEXT')
  }, { asUN: true })],
  [makeTag(0x0008, 0x1120), (top) => top.sequence(makeTag(0x0008, 0x1120), (r) => {
    r.plain(makeTag(0x0008, 0x1150), 'UI', '1.2.840.10008.3.1.2.1.1')
    r.canary(makeTag(0x0008, 0x1155), 'UI')
  })],
  [makeTag(0x0008, 0x1140), (top) => top.sequence(makeTag(0x0008, 0x1140), (r) => {
    r.plain(makeTag(0x0008, 0x1150), 'UI', CT_IMAGE_STORAGE)
    r.canary(makeTag(0x0008, 0x1155), 'UI')
    r.creator(0x0019, 0x10)
    r.canary(makeTag(0x0019, 0x1001), 'LO')
  }, { count: 2, asUN: true })],
  [makeTag(0x0088, 0x0200), (top) => top.sequence(makeTag(0x0088, 0x0200), (icon) => {
    icon.numbers(makeTag(0x0028, 0x0002), 'US', [1])
    icon.plain(makeTag(0x0028, 0x0004), 'CS', 'MONOCHROME2')
    icon.numbers(makeTag(0x0028, 0x0010), 'US', [4])
    icon.numbers(makeTag(0x0028, 0x0011), 'US', [4])
    icon.numbers(makeTag(0x0028, 0x0100), 'US', [8])
    icon.numbers(makeTag(0x0028, 0x0101), 'US', [8])
    icon.numbers(makeTag(0x0028, 0x0102), 'US', [7])
    icon.numbers(makeTag(0x0028, 0x0103), 'US', [0])
    icon.canary(makeTag(0x7fe0, 0x0010), 'OB')
  }, { definedLength: true })]
])

/** Rows planted by hand, not by the loop over Table E.1-1. */
const HANDLED: ReadonlySet<Tag> = new Set([
  makeTag(0x0002, 0x0003), SOP_INSTANCE_UID, makeTag(0x0010, 0x1001), makeTag(0x0010, 0x1000), makeTag(0x0032, 0x4000),
  makeTag(0x0010, 0x2180), makeTag(0x0010, 0x1005)
])

/** An overlay plane (PS3.3 §C.9.2) with canaries in its text and bitmap. */
function plantOverlay (top: Scope, group: number): void {
  top.numbers(makeTag(group, 0x0010), 'US', [4])
  top.numbers(makeTag(group, 0x0011), 'US', [4])
  top.plain(makeTag(group, 0x0040), 'CS', 'G')
  top.numbers(makeTag(group, 0x0050), 'SS', [1, 1])
  top.numbers(makeTag(group, 0x0100), 'US', [1])
  top.numbers(makeTag(group, 0x0102), 'US', [0])
  top.canary(makeTag(group, 0x0022), 'LO', { descriptor: false })
  top.canary(makeTag(group, 0x1500), 'LO', { descriptor: false })
  top.canary(makeTag(group, 0x3000), 'OW')
  top.canary(makeTag(group, 0x4000), 'LT', { descriptor: false })
}

/** A retired curve (group 50xx, PS3.3 2003 §C.10.2). */
function plantCurve (top: Scope, group: number): void {
  top.numbers(makeTag(group, 0x0005), 'US', [1])
  top.numbers(makeTag(group, 0x0010), 'US', [2])
  top.plain(makeTag(group, 0x0020), 'CS', 'POLY')
  top.canary(makeTag(group, 0x0022), 'LO', { descriptor: false })
  top.canary(makeTag(group, 0x2500), 'LO', { descriptor: false })
  top.canary(makeTag(group, 0x3000), 'OB')
}

/** Private attributes: with and without creator, binary, nested private sequences, a safe-private block. */
function plantPrivate (top: Scope): void {
  top.creator(0x0009, 0x10)
  top.canary(makeTag(0x0009, 0x1001), 'LO')
  top.canary(makeTag(0x0009, 0x1002), 'OB')
  top.sequence(makeTag(0x0009, 0x1003), (item) => {
    item.creator(0x0011, 0x10)
    item.canary(makeTag(0x0011, 0x1001), 'LO')
    item.canary(makeTag(0x0040, 0xa123), 'PN')
    item.sequence(makeTag(0x0011, 0x1002), (inner) => {
      inner.creator(0x0011, 0x10)
      inner.canary(makeTag(0x0011, 0x1003), 'LO')
    }, { definedLength: true })
  })
  top.largeBinary(makeTag(0x0009, 0x1010), 80 * 1024)
  // No creator for block 0x10 of group 0011 at the top level.
  top.canary(makeTag(0x0011, 0x1001), 'LO')
  // A block the research profile keeps (Table E.3.10-1): its listed element stays, another goes.
  const safe = safePrivateRows()[0]
  if (safe === undefined) throw new Error('Table E.3.10-1 is empty')
  const listed = new Set(safePrivateRows().filter((r) => r.creator === safe.creator && r.group === safe.group).map((r) => r.element))
  let unlisted = 0xfe
  while (listed.has(unlisted)) unlisted--
  top.creator(safe.group, 0x10, safe.creator)
  top.plain(makeTag(safe.group, 0x1000 | safe.element), 'DS', '123.5')
  top.canary(makeTag(safe.group, 0x1000 | unlisted), 'LO')
}

/**
 * Every row of Table E.1-1 with a canary, at the top level, plus the special cases listed in
 * the module comment. Encoded four ways (UN sequences only where Explicit VR LE can say UN).
 */
export function buildTableInstance (planter: Planter): CanaryInstance {
  const b = new InstanceBuilder(planter, DEFAULT_CASE)
  const top = b.top
  b.preambleCanary(0)
  b.preambleCanary(100)
  const sopInstanceUID = planter.uid()
  top.plain(SOP_INSTANCE_UID, 'UI', sopInstanceUID)
  b.register({ text: sopInstanceUID, label: `${describe(SOP_INSTANCE_UID)} = file meta (0002,0003) MediaStorageSOPInstanceUID`, where: 'dataset', tag: SOP_INSTANCE_UID, vr: 'UI', creator: undefined, ancestors: [], path: formatTag(SOP_INSTANCE_UID), descriptor: false, clinical: undefined })
  plantMeta(b, sopInstanceUID)
  plantImage(top)
  for (const row of tableRows()) {
    if (row.tag === undefined || HANDLED.has(row.tag)) continue
    const custom = CUSTOM_SEQUENCES.get(row.tag)
    if (custom !== undefined) {
      custom(top)
      continue
    }
    // The command group (0000,xxxx) is not in the PS3.6 dictionary: its VR is PS3.7's, UI.
    const vr: VR = lookupTag(row.tag)?.vr ?? 'UI'
    if (vr === 'SQ') top.sequence(row.tag, (item) => item.codeItem(item))
    else top.canary(row.tag, vr)
  }
  // Public elements written as UN (PS3.5 §6.2.2): a descriptor and a person name.
  top.canary(makeTag(0x0010, 0x2180), 'SH', { asUN: true })
  top.canary(makeTag(0x0010, 0x1005), 'PN', { asUN: true })
  // LT has a 16-bit length in Explicit VR: written as UN there (32-bit), as LT in Implicit VR.
  top.largeDescriptor(makeTag(0x0032, 0x4000), 'LT', 70 * 1024, { asUN: true })
  plantOverlay(top, 0x6000)
  plantOverlay(top, 0x6002)
  plantCurve(top, 0x5000)
  plantPrivate(top)
  const file = b.finish()
  return { name: 'table E.1-1', file, canaries: b.canaries, encodings: ['explicit-le', 'implicit-le', 'explicit-be', 'deflated'] }
}

/** The other charset for an item of a dataset in `charset` (PS3.5 §6.1.2.5: an item may have its own). */
function itemCase (charset: CharsetCase): CharsetCase {
  return (charset.name === 'utf8' ? CHARSET_CASES.find((c) => c.name === 'latin1') : CHARSET_CASES.find((c) => c.name === 'utf8')) as CharsetCase
}

/** A small instance in one non-ASCII charset: names with all component groups, free text, items with their own charset. */
export function buildCharsetInstance (planter: Planter, charset: CharsetCase): CanaryInstance {
  const b = new InstanceBuilder(planter, charset)
  const top = b.top
  const sopInstanceUID = planter.uid()
  top.plain(SOP_INSTANCE_UID, 'UI', sopInstanceUID)
  b.register({ text: sopInstanceUID, label: `${describe(SOP_INSTANCE_UID)} = (0002,0003)`, where: 'dataset', tag: SOP_INSTANCE_UID, vr: 'UI', creator: undefined, ancestors: [], path: formatTag(SOP_INSTANCE_UID), descriptor: false, clinical: undefined })
  b.metaPlain(makeTag(0x0002, 0x0001), 'OB', Uint8Array.of(0, 1))
  b.metaPlain(makeTag(0x0002, 0x0002), 'UI', CT_IMAGE_STORAGE)
  b.metaCanary(makeTag(0x0002, 0x0003), 'UI', sopInstanceUID)
  plantImage(top)
  const ideographic = charset.ideographic ?? charset.alphabetic
  top.canary(makeTag(0x0010, 0x0010), 'PN')
  top.canary(makeTag(0x0008, 0x0090), 'PN')
  top.canary(makeTag(0x0008, 0x1050), 'PN')
  top.canary(makeTag(0x0010, 0x0020), 'LO', { flavour: charset.alphabetic })
  top.canary(makeTag(0x0008, 0x0080), 'LO', { flavour: ideographic })
  top.canary(makeTag(0x0010, 0x1040), 'LO', { flavour: ideographic })
  top.canary(makeTag(0x0020, 0x000d), 'UI')
  top.canary(makeTag(0x0020, 0x000e), 'UI')
  top.canary(makeTag(0x0008, 0x0020), 'DA')
  top.canary(makeTag(0x0008, 0x1030), 'LO')
  top.canary(makeTag(0x0008, 0x103e), 'LO', { flavour: charset.alphabetic })
  top.canary(makeTag(0x0010, 0x4000), 'LT')
  top.canary(makeTag(0x0020, 0x4000), 'LT', { flavour: charset.alphabetic })
  const other = itemCase(charset)
  top.sequence(makeTag(0x0010, 0x1002), (item) => {
    item.canary(makeTag(0x0010, 0x0020), 'LO', { flavour: other.ideographic ?? other.alphabetic })
    item.canary(makeTag(0x0010, 0x0021), 'LO')
  }, { charset: other })
  top.sequence(makeTag(0x0040, 0xa730), (item) => {
    item.plain(makeTag(0x0040, 0xa040), 'CS', 'TEXT')
    item.canary(makeTag(0x0040, 0xa160), 'UT', { flavour: other.ideographic ?? other.alphabetic })
    item.canary(makeTag(0x0040, 0xa123), 'PN')
  }, { charset: other })
  const file = b.finish()
  return { name: `charset ${charset.name}`, file, canaries: b.canaries, encodings: ['explicit-le', 'implicit-le'] }
}
