/**
 * Value Representations (PS3.5 §6.2, Table 6.2-1) and how each is encoded in Explicit VR
 * (PS3.5 §7.1.2: which VRs use a 2-byte reserved field and a 32-bit length).
 */

export const VRS = [
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF',
  'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN',
  'UR', 'US', 'UT', 'UV'
] as const

export type VR = typeof VRS[number]

const VR_SET: ReadonlySet<string> = new Set(VRS)

export function isVR (value: string): value is VR {
  return VR_SET.has(value)
}

/**
 * PS3.5 Table 7.1-1: in Explicit VR these VRs have two reserved bytes then a 32-bit length;
 * every other VR has a 16-bit length (Table 7.1-2).
 */
const LONG_LENGTH_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'])

export function hasLongLength (vr: string): boolean {
  return LONG_LENGTH_VRS.has(vr)
}

/** Character string VRs (PS3.5 §6.2): values are text, padded to even length. */
const STRING_VRS: ReadonlySet<string> = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT'])

export function isStringVR (vr: string): boolean {
  return STRING_VRS.has(vr)
}

/**
 * VRs whose text is decoded through the Specific Character Set (PS3.5 §6.1.2.3); the others
 * use the default repertoire (ISO-IR 6) only.
 */
const CHARSET_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'UC', 'ST', 'LT', 'UT', 'PN'])

export function usesSpecificCharacterSet (vr: string): boolean {
  return CHARSET_VRS.has(vr)
}

/** Single-valued text VRs: backslash is an ordinary character in them (PS3.5 §6.4). */
const SINGLE_VALUED_TEXT_VRS: ReadonlySet<string> = new Set(['LT', 'ST', 'UT', 'UR'])

export function isMultiValuedText (vr: string): boolean {
  return isStringVR(vr) && !SINGLE_VALUED_TEXT_VRS.has(vr)
}

/** PS3.5 §6.2: UI values are padded with NUL, other text with a space, binary with NUL. */
export function paddingByte (vr: string): number {
  return isStringVR(vr) && vr !== 'UI' ? 0x20 : 0x00
}

/** Fixed byte width of one value of a binary numeric VR, or 0 for other VRs. */
export function binaryValueWidth (vr: string): number {
  switch (vr) {
    case 'SS': case 'US': case 'OW': return 2
    case 'SL': case 'UL': case 'FL': case 'OF': case 'OL': case 'AT': return 4
    case 'FD': case 'OD': case 'SV': case 'UV': case 'OV': return 8
    default: return 0
  }
}
