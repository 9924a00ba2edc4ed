/**
 * Attribute values as strings: decoded through the level's Specific Character Set, split
 * into values at the backslash where the VR is multi-valued (PS3.5 §6.4), padding removed;
 * and back to bytes, padded to even length (PS3.5 §6.2: NUL for UI, space for other text).
 */

import type { TextCodec } from '../dicom/charset.js'
import { isMultiValuedText, paddingByte } from '../dicom/vr.js'

/** Trailing padding and, for all but the free-text VRs, leading spaces are not significant (PS3.5 §6.2). */
const TRAILING = /[\0 ]+$/
const LEADING = /^ +/

export function decodeValues (charset: TextCodec, bytes: Uint8Array, vr: string): string[] {
  const text = charset.decode(bytes, vr)
  if (!isMultiValuedText(vr)) return [text.replace(TRAILING, '')]
  const values = text.split('\\')
  for (let i = 0; i < values.length; i++) values[i] = (values[i] as string).replace(TRAILING, '').replace(LEADING, '')
  return values
}

export function encodeValues (charset: TextCodec, values: readonly string[], vr: string): Uint8Array {
  const bytes = charset.encode(values.join('\\'), vr)
  if (bytes.length % 2 === 0) return bytes
  const padded = new Uint8Array(bytes.length + 1)
  padded.set(bytes)
  padded[bytes.length] = paddingByte(vr)
  return padded
}
