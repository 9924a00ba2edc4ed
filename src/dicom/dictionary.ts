/**
 * The DICOM data dictionary (PS3.6 Table 6-1): tag ↔ keyword, name, VR and VM.
 *
 * The data is generated into dictionary.generated.ts by scripts/generate-dictionary.ts and
 * parsed here on the first lookup, so importing this module costs nothing at start-up.
 * Private data elements are not in it: their meaning depends on the private creator
 * (PS3.5 §7.8.1), which only the reader of a dataset knows.
 */
import { DICTIONARY_ROWS, REPEATING_GROUP_PATTERNS } from './dictionary.generated.js'
import { isGroupLengthTag, isPrivateCreatorTag, isPrivateTag, type Tag } from './tags.js'
import { isVR, type VR } from './vr.js'

export interface DictionaryEntry {
  /**
   * The tag. For a repeating-group element (PS3.5 §7.6) this is the member that
   * `tagForKeyword` returns, whichever member was looked up; see `mask`.
   */
  readonly tag: Tag
  /** 0xFFFFFFFF for an ordinary element; for a repeating group, the bits every member shares. */
  readonly mask: number
  /** PS3.6 keyword; empty for the three retired elements that PS3.6 lists without one. */
  readonly keyword: string
  readonly name: string
  /** The VR to read when the encoding carries none; a multi-VR element resolved as `resolveVR` says. */
  readonly vr: VR
  /** Every VR PS3.6 allows ("US or SS" → US, SS); empty for Item and the delimiters. */
  readonly vrs: readonly VR[]
  /** Value multiplicity as PS3.6 writes it: "1", "1-n", "2-2n", "1-n or 1"… */
  readonly vm: string
  readonly retired: boolean
}

/**
 * How a multi-VR element is read when no VR is encoded (Implicit VR Little Endian):
 *
 * - if OW is allowed, OW. PS3.5 §A.1 says Pixel Data, Overlay Data and Waveform Data
 *   ("OB or OW") are OW in Implicit VR. We extend the rule to every "OB or OW", "US or OW"
 *   and "US or SS or OW" element (LUT Data, curve and audio data; dcmtk also maps its LUT
 *   type to OW): the bytes are the same, and OW keeps a 32-bit length should the element be
 *   re-encoded in Explicit VR (PS3.5 §7.1.2), where LUT Data may exceed the 64 KiB that the
 *   16-bit length of US allows.
 * - otherwise the first alternative: "US or SS" → US. Both are 16 bits wide, so the bytes
 *   read the same; whether the value is signed depends on Pixel Representation (0028,0103)
 *   (PS3.3 C.7.6.3.1), which is context the caller has and the dictionary has not.
 * - no VR at all (Item, Item Delimitation Item, Sequence Delimitation Item, PS3.5 §7.5): UN.
 */
function resolveVR (vrs: readonly VR[]): VR {
  if (vrs.includes('OW')) return 'OW'
  return vrs[0] ?? 'UN'
}

interface Pattern {
  readonly mask: number
  readonly value: number
  readonly entry: DictionaryEntry
}

/**
 * Parsed on first use, and even then only the tag of each row: a row becomes an entry when
 * it is looked up (`byTag` holds the raw line until then). This keeps the first lookup to
 * about a millisecond; the keyword index is built only when a keyword is asked for.
 */
interface Tables {
  readonly byTag: Map<Tag, DictionaryEntry | string>
  /** Repeating-group patterns by each group they can match, so a miss costs one Map probe. */
  readonly patternsByGroup: ReadonlyMap<number, readonly Pattern[]>
  byKeyword: ReadonlyMap<string, Tag> | undefined
}

let tables: Tables | undefined

function inconsistent (detail: string): Error {
  return new Error(`dictionary.generated.ts is inconsistent (${detail}): run npm run generate`)
}

/** Entries share one frozen VR list per distinct "US/SS" spelling. */
const vrLists = new Map<string, readonly VR[]>()

function vrList (text: string): readonly VR[] {
  let list = vrLists.get(text)
  if (list === undefined) {
    const vrs = text === '' ? [] : text.split('/')
    list = Object.freeze(vrs.map((vr) => {
      if (!isVR(vr)) throw inconsistent(`VR ${vr}`)
      return vr
    }))
    vrLists.set(text, list)
  }
  return list
}

function parseEntry (line: string, tag: Tag, mask: number): DictionaryEntry {
  const [, keyword = '', name = '', vrText = '', vm = '', retired = ''] = line.split('|')
  const vrs = vrList(vrText)
  return Object.freeze({ tag, mask, keyword, name, vr: resolveVR(vrs), vrs, vm, retired: retired === 'R' })
}

/** Row format (see dictionary.generated.ts): eight hex digits, `|`, the keyword, `|`… */
const TAG_DIGITS = 8

function keywordOfLine (line: string): string {
  return line.slice(TAG_DIGITS + 1, line.indexOf('|', TAG_DIGITS + 1))
}

/** The groups g with (g & groupMask) === base: one for (0028,04x0), 16 for (60xx,eeee). */
function groupsMatching (groupMask: number, base: number): number[] {
  const freeBits: number[] = []
  for (let bit = 0; bit < 16; bit++) if (((groupMask >>> bit) & 1) === 0) freeBits.push(bit)
  const groups: number[] = []
  for (let n = 0; n < 1 << freeBits.length; n++) {
    let group = base
    freeBits.forEach((bit, i) => { if (((n >>> i) & 1) === 1) group |= 1 << bit })
    groups.push(group)
  }
  return groups
}

function load (): Tables {
  const byTag = new Map<Tag, DictionaryEntry | string>()
  const repeatingRows = new Map<string, string>()
  for (const line of DICTIONARY_ROWS.split('\n')) {
    const hex = line.slice(0, TAG_DIGITS)
    if (hex.includes('X')) repeatingRows.set(keywordOfLine(line), line)
    else byTag.set(parseInt(hex, 16), line)
  }
  const patternsByGroup = new Map<number, Pattern[]>()
  for (const [mask, value, first, keyword] of REPEATING_GROUP_PATTERNS) {
    const line = repeatingRows.get(keyword)
    if (line === undefined) throw inconsistent(`no row for ${keyword}`)
    const pattern: Pattern = { mask, value, entry: parseEntry(line, first, mask) }
    for (const group of groupsMatching(mask >>> 16, value >>> 16)) {
      const list = patternsByGroup.get(group)
      if (list === undefined) patternsByGroup.set(group, [pattern])
      else list.push(pattern)
    }
  }
  return { byTag, patternsByGroup, byKeyword: undefined }
}

function keywordIndex (t: Tables): ReadonlyMap<string, Tag> {
  const index = new Map<string, Tag>()
  for (const [tag, row] of t.byTag) {
    const keyword = typeof row === 'string' ? keywordOfLine(row) : row.keyword
    if (keyword !== '') index.set(keyword, tag)
  }
  for (const patterns of t.patternsByGroup.values()) {
    for (const { entry } of patterns) index.set(entry.keyword, entry.tag)
  }
  return index
}

/**
 * The dictionary entry of a tag: the exact element first, then the repeating groups
 * (PS3.5 §7.6): (50xx,eeee) curves, (60xx,eeee) overlays, (7Fxx,eeee) variable pixel data
 * with xx even in 00-1E, and the retired element ranges such as (0028,04x0) and (1000,xxx0).
 * An exact element wins over a range: (0028,0402) is Number of Transform Steps, not
 * Coefficient Coding. Private tags are never in the dictionary.
 */
export function lookupTag (tag: Tag): DictionaryEntry | undefined {
  tables ??= load()
  const exact = tables.byTag.get(tag)
  if (typeof exact === 'string') {
    const entry = parseEntry(exact, tag, 0xffffffff)
    tables.byTag.set(tag, entry)
    return entry
  }
  if (exact !== undefined) return exact
  const patterns = tables.patternsByGroup.get(tag >>> 16)
  if (patterns === undefined) return undefined
  for (const pattern of patterns) {
    if (((tag & pattern.mask) >>> 0) === pattern.value) return pattern.entry
  }
  return undefined
}

/**
 * The tag of a PS3.6 keyword; undefined for an unknown keyword (so that a profile naming
 * one can be rejected at start-up). For a repeating-group keyword, the lowest member that
 * no other element claims: OverlayData → (6000,3000), CurveData → (5000,3000),
 * EscapeTriplet → (1000,0010), RowsForNthOrderCoefficients → (0028,0410) because
 * (0028,0400) is Transform Label. Match members with `lookupTag(t)?.keyword`, not by tag.
 */
export function tagForKeyword (keyword: string): Tag | undefined {
  tables ??= load()
  tables.byKeyword ??= keywordIndex(tables)
  return tables.byKeyword.get(keyword)
}

/** PS3.6 keyword of a tag (repeating groups included); undefined when it has none. */
export function keywordOf (tag: Tag): string | undefined {
  const keyword = lookupTag(tag)?.keyword
  return keyword === '' ? undefined : keyword
}

/** The group of Item and the delimitation items, which have no VR (PS3.5 §7.5). */
const ITEM_GROUP = 0xfffe

/**
 * The VR of an element read in Implicit VR Little Endian (PS3.5 §A.1, §7.1.3), where the
 * stream carries no VR and the dictionary must supply it:
 *
 * - group length (gggg,0000) → UL (PS3.5 §7.2), in every group, private ones included;
 * - Item and delimitation items (FFFE,eeee) → UN: they have no VR (PS3.5 §7.5), and the
 *   reader must recognise them by tag before asking;
 * - private creator (odd gggg,0010-00FF) → LO (PS3.5 §7.8.1);
 * - any other private element → UN: its VR is known only to its creator (PS3.5 §6.2.2);
 * - a standard element → `DictionaryEntry.vr` (multi-VR: OB or OW → OW, US or SS → US,
 *   see `resolveVR`);
 * - anything else (unknown even-group elements) → UN.
 */
export function implicitVR (tag: Tag): VR {
  if (isGroupLengthTag(tag)) return 'UL'
  if (tag >>> 16 === ITEM_GROUP) return 'UN'
  if (isPrivateCreatorTag(tag)) return 'LO'
  if (isPrivateTag(tag)) return 'UN'
  return lookupTag(tag)?.vr ?? 'UN'
}
