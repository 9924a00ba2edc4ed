/**
 * Reading BER/DER (ITU-T X.690) from untrusted input, through node-forge's parser.
 *
 * CMS is defined over BER (RFC 5652 §1.2): a producer may use indefinite lengths and
 * constructed OCTET STRINGs (OpenSSL does with `-stream`), so the parser must accept them;
 * node-forge does, with strict length checks and a recursion limit. The helpers below check
 * the shape of each node and throw `Asn1ShapeError`, which the callers (enveloped.ts,
 * keys.ts) translate once into their own error code. Messages name fields, never values.
 */
import { Buffer } from 'node:buffer'
import forge from 'node-forge'

export type Asn1Node = forge.asn1.Asn1

/** Deeper nesting is refused: EnvelopedData and X.509 certificates need fewer than 12 levels. */
export const MAX_ASN1_DEPTH = 32

const UNIVERSAL = forge.asn1.Class.UNIVERSAL
const CONTEXT = forge.asn1.Class.CONTEXT_SPECIFIC

/** Universal types checked here (X.680 §8.4). */
export const UNIVERSAL_TYPE = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OID: 6,
  SEQUENCE: 16,
  SET: 17
} as const

/** The input is not the ASN.1 structure expected; the message names the field. */
export class Asn1ShapeError extends Error {
  override readonly name: string = 'Asn1ShapeError'
}

/** node-forge's fromDer takes an options object; its type declarations know only `strict`. */
interface FromDerOptions {
  readonly strict: boolean
  readonly parseAllBytes: boolean
  readonly decodeBitStrings: boolean
  readonly maxDepth: number
}
const fromDer = forge.asn1.fromDer as unknown as (bytes: forge.util.ByteStringBuffer, options: FromDerOptions) => Asn1Node

/** Parses one BER value; returns it with the bytes that follow it (the caller decides whether any may). */
export function parseBer (bytes: Uint8Array, what: string): { readonly node: Asn1Node, readonly trailing: Uint8Array } {
  const buffer = forge.util.createBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'))
  let node: Asn1Node
  try {
    node = fromDer(buffer, { strict: true, parseAllBytes: false, decodeBitStrings: false, maxDepth: MAX_ASN1_DEPTH })
  } catch (err) {
    throw new Asn1ShapeError(`${what} is not valid BER/DER`, { cause: err })
  }
  return { node, trailing: binary(buffer.bytes()) }
}

/** The DER encoding of a parsed node (lengths and INTEGERs made minimal by node-forge). */
export function encode (node: Asn1Node): Uint8Array {
  return binary(forge.asn1.toDer(node).getBytes())
}

function binary (bytes: string): Uint8Array {
  return new Uint8Array(Buffer.from(bytes, 'latin1'))
}

export function isUniversal (node: Asn1Node | undefined, type: number): node is Asn1Node {
  return node !== undefined && node.tagClass === UNIVERSAL && node.type === type
}

export function isContext (node: Asn1Node | undefined, tag: number): node is Asn1Node {
  return node !== undefined && node.tagClass === CONTEXT && node.type === tag
}

export function expectUniversal (node: Asn1Node | undefined, type: number, what: string): Asn1Node {
  if (!isUniversal(node, type)) throw new Asn1ShapeError(`${what} is missing or has the wrong type`)
  return node
}

/** The children of a constructed node. */
export function childrenOf (node: Asn1Node, what: string): readonly Asn1Node[] {
  if (!node.constructed || !Array.isArray(node.value)) throw new Asn1ShapeError(`${what} is not constructed`)
  return node.value
}

/** The children of a SEQUENCE. */
export function sequenceOf (node: Asn1Node | undefined, what: string): readonly Asn1Node[] {
  return childrenOf(expectUniversal(node, UNIVERSAL_TYPE.SEQUENCE, what), what)
}

/**
 * The content octets of a string type: primitive, or (BER, X.690 §8.7.3) constructed from
 * segments of the same type, which are concatenated.
 */
export function contentOctets (node: Asn1Node, what: string, segmentType: number = UNIVERSAL_TYPE.OCTET_STRING): Uint8Array {
  if (typeof node.value === 'string') {
    if (node.constructed) throw new Asn1ShapeError(`${what} is malformed`)
    return binary(node.value)
  }
  return Buffer.concat(node.value.map((segment) => {
    if (!isUniversal(segment, segmentType)) throw new Asn1ShapeError(`${what} has a segment of the wrong type`)
    return contentOctets(segment, what, segmentType)
  }))
}

/** An OBJECT IDENTIFIER in dotted form. */
export function oidOf (node: Asn1Node | undefined, what: string): string {
  const oid = expectUniversal(node, UNIVERSAL_TYPE.OID, what)
  if (typeof oid.value !== 'string' || oid.value.length === 0) throw new Asn1ShapeError(`${what} is malformed`)
  try {
    return forge.asn1.derToOid(oid.value)
  } catch (err) {
    throw new Asn1ShapeError(`${what} is malformed`, { cause: err })
  }
}

/** A small INTEGER (a version number). */
export function smallIntegerOf (node: Asn1Node | undefined, what: string): number {
  const integer = expectUniversal(node, UNIVERSAL_TYPE.INTEGER, what)
  if (typeof integer.value !== 'string' || integer.value.length === 0 || integer.value.length > 4) {
    throw new Asn1ShapeError(`${what} is not a small integer`)
  }
  return forge.asn1.derToInteger(integer.value)
}
