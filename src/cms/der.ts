/**
 * The few DER encodings (ITU-T X.690 §8, §10) that dicomgate writes for CMS.
 *
 * Writing is done by hand rather than through node-forge's ASN.1 objects: the output is a
 * handful of fixed structures (RFC 5652 §6), and building them from bytes keeps the
 * recipient identifier exactly as the certificate encodes it and costs microseconds per
 * instance. Reading untrusted input goes through node-forge's parser (asn1.ts).
 */
import { Buffer } from 'node:buffer'

/** Universal tags used here (X.690 §8.1.2, X.680 §8.4). */
export const TAG = {
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31
} as const

/** Context-specific, constructed: [n] EXPLICIT, or [n] IMPLICIT of a constructed type. */
export function contextConstructed (n: number): number {
  return 0xa0 | n
}

/** Context-specific, primitive: [n] IMPLICIT of a primitive type (e.g. OCTET STRING). */
export function contextPrimitive (n: number): number {
  return 0x80 | n
}

/** The definite length in the shortest form (X.690 §10.1, §8.1.3). */
function lengthBytes (length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length)
  const bytes: number[] = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256)
  return Uint8Array.of(0x80 | bytes.length, ...bytes)
}

/** One tag-length-value with single-byte tag (all dicomgate writes). */
export function tlv (tag: number, ...content: readonly Uint8Array[]): Uint8Array {
  const length = content.reduce((sum, part) => sum + part.byteLength, 0)
  return Buffer.concat([Uint8Array.of(tag), lengthBytes(length), ...content])
}

export function sequence (...content: readonly Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, ...content)
}

/** SET OF: DER orders the encodings of the elements as octet strings (X.690 §11.6). */
export function setOf (elements: readonly Uint8Array[]): Uint8Array {
  return tlv(TAG.SET, ...[...elements].sort((a, b) => Buffer.compare(a, b)))
}

export function octetString (bytes: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, bytes)
}

/** A small non-negative INTEGER (versions). */
export function smallInteger (value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0x7f) throw new RangeError('smallInteger takes 0 to 127')
  return tlv(TAG.INTEGER, Uint8Array.of(value))
}

/** The content octets of an OBJECT IDENTIFIER (X.690 §8.19). */
export function oidContent (dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => BigInt(arc))
  const [first = 0n, second = 0n, ...rest] = arcs
  const bytes: number[] = []
  for (const arc of [first * 40n + second, ...rest]) {
    const groups = [Number(arc & 0x7fn)]
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80)
    bytes.push(...groups)
  }
  return Uint8Array.from(bytes)
}

export function oid (dotted: string): Uint8Array {
  return tlv(TAG.OID, oidContent(dotted))
}

/** AlgorithmIdentifier (RFC 5280 §4.1.1.2) with the given parameters, or NULL. */
export function algorithmIdentifier (dotted: string, parameters: Uint8Array = tlv(TAG.NULL)): Uint8Array {
  return sequence(oid(dotted), parameters)
}
