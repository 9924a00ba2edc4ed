/**
 * Changing the byte order of a value between Little and Big Endian (PS3.5 §7.3).
 *
 * Only binary values change: each value of a fixed-width binary VR has its bytes reversed.
 * Text and OB are byte streams and stay as they are. An Attribute Tag (AT) is two 16-bit
 * unsigned integers, group then element (PS3.5 §6.2), so it swaps in 2-byte units, not as
 * one 32-bit number. UN has no known structure: its bytes cannot be swapped, and the caller
 * must refuse rather than guess.
 */

import { Buffer } from 'node:buffer'
import type { VR } from './vr.js'

/**
 * The unit whose bytes reverse when a value of `vr` changes byte order: 1 when nothing
 * changes, undefined when the structure is unknown (UN).
 */
export function byteOrderUnit (vr: VR): number | undefined {
  switch (vr) {
    case 'AT': case 'OW': case 'SS': case 'US': return 2
    case 'FL': case 'OF': case 'OL': case 'SL': case 'UL': return 4
    case 'FD': case 'OD': case 'OV': case 'SV': case 'UV': return 8
    case 'UN': return undefined
    default: return 1
  }
}

/**
 * `value` with every `unit`-byte group reversed, as a new buffer (`value` is left alone);
 * undefined when the length is not a whole number of units (a malformed value).
 */
export function swapUnits (value: Uint8Array, unit: number): Uint8Array | undefined {
  if (value.length % unit !== 0) return undefined
  const out = Buffer.from(value)
  if (unit === 2) out.swap16()
  else if (unit === 4) out.swap32()
  else if (unit === 8) out.swap64()
  return out
}
