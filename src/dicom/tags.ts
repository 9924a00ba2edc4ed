/**
 * Tags as uint32 (group << 16 | element) and the handful the codec itself must know.
 * Every other tag comes from the generated dictionary.
 */

export type Tag = number

export function makeTag (group: number, element: number): Tag {
  return ((group << 16) | element) >>> 0
}

export function tagGroup (tag: Tag): number {
  return tag >>> 16
}

export function tagElement (tag: Tag): number {
  return tag & 0xffff
}

/** `(0010,0010)` form, upper-case hex, as dcmdump and PS3.6 print tags. */
export function formatTag (tag: Tag): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0')
  return `(${hex.slice(0, 4)},${hex.slice(4)})`
}

/** `00100010` form, as the DICOM JSON model keys attributes (PS3.18 §F.2.1.1). */
export function tagKey (tag: Tag): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0')
}

/** Parses `(0010,0010)`, `0010,0010` or `00100010`; undefined when not a tag. */
export function parseTag (text: string): Tag | undefined {
  const m = /^\(?([0-9A-Fa-f]{4}),?([0-9A-Fa-f]{4})\)?$/.exec(text.trim())
  if (m === null) return undefined
  return makeTag(parseInt(m[1] as string, 16), parseInt(m[2] as string, 16))
}

/** PS3.5 §7.1: odd groups (other than 0001, 0003, 0005, 0007, FFFF) hold private elements. */
export function isPrivateTag (tag: Tag): boolean {
  const group = tag >>> 16
  return (group & 1) === 1 && group > 0x0008 && group !== 0xffff
}

/** PS3.5 §7.8.1: (gggg,0010-00FF) in a private group reserves a block for a creator. */
export function isPrivateCreatorTag (tag: Tag): boolean {
  const element = tag & 0xffff
  return isPrivateTag(tag) && element >= 0x0010 && element <= 0x00ff
}

/** PS3.5 §7.2: (gggg,0000) is a group length element. */
export function isGroupLengthTag (tag: Tag): boolean {
  return (tag & 0xffff) === 0
}

export const TAG = {
  FileMetaInformationGroupLength: 0x00020000,
  TransferSyntaxUID: 0x00020010,
  SpecificCharacterSet: 0x00080005,
  PixelData: 0x7fe00010,
  FloatPixelData: 0x7fe00008,
  DoubleFloatPixelData: 0x7fe00009,
  /** PS3.5 §7.5: the three data elements that structure sequences; they have no VR. */
  Item: 0xfffee000,
  ItemDelimitationItem: 0xfffee00d,
  SequenceDelimitationItem: 0xfffee0dd
} as const

/** Value of a length field meaning "undefined length" (PS3.5 §7.1.1). */
export const UNDEFINED_LENGTH = 0xffffffff
