/**
 * Pseudonym formats: literal text with `{hash:N}` fields, e.g. 'PAT-{hash:10}'.
 *
 * A field is N characters (1 to 32) of Crockford base32 (0-9 and A-Z without I, L, O, U:
 * no letter that reads as a digit, and upper case, as DICOM CS and many PACS prefer),
 * taken 5 bits each from the start of the keyed digest; several fields continue in the
 * digest. The output length is fixed, `formatMaxLength`, so a profile can be checked
 * against the VR's maximum length (PS3.5 Table 6.2-1) when it is compiled.
 *
 * Literal text must not hold `\` (the value delimiter, PS3.5 §6.4) or control characters;
 * `{` and `}` only appear in fields. Every format has at least one field: a format without
 * one gives every input the same output, a dummy value rather than a pseudonym.
 */
import { DicomgateError } from '../errors.js'

export const HASH_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
export const MAX_FIELD_CHARS = 32
/** A digest of 256 bits holds 51 characters of 5 bits. */
export const MAX_HASH_CHARS = 51
const FORMAT_CACHE_ENTRIES = 64

export type FormatPart = { readonly literal: string } | { readonly hash: number }

export interface PseudonymFormat {
  readonly parts: readonly FormatPart[]
  /** Hash characters over all fields. */
  readonly hashChars: number
  /** Characters of every output. */
  readonly length: number
}

const FIELD = /\{hash:([0-9]+)\}/y
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const FORBIDDEN_LITERAL = /[\\\u0000-\u001f\u007f{}]/

function invalid (format: string, reason: string): DicomgateError {
  // Formats come from profiles, not from images: naming them is safe and helps.
  return new DicomgateError('DG_PROFILE_INVALID', `pseudonym format ${JSON.stringify(format)}: ${reason}`)
}

/** Parses and checks a format; throws DG_PROFILE_INVALID saying what is wrong. */
export function parseFormat (format: string): PseudonymFormat {
  if (typeof format !== 'string' || format === '') throw invalid(String(format), 'must be a non-empty string')
  const parts: FormatPart[] = []
  let literal = ''
  let hashChars = 0
  let i = 0
  while (i < format.length) {
    const char = format[i] ?? ''
    if (char !== '{') {
      if (FORBIDDEN_LITERAL.test(char)) {
        throw invalid(format, `character ${i + 1} is not allowed (no \\, control characters, or braces outside {hash:N})`)
      }
      literal += char
      i++
      continue
    }
    FIELD.lastIndex = i
    const m = FIELD.exec(format)
    const n = Number(m?.[1])
    if (m === null || !Number.isInteger(n) || n < 1 || n > MAX_FIELD_CHARS || m[1]?.startsWith('0') === true) {
      throw invalid(format, `character ${i + 1} starts a field that is not {hash:N} with N from 1 to ${MAX_FIELD_CHARS}`)
    }
    if (literal !== '') parts.push({ literal })
    literal = ''
    parts.push({ hash: n })
    hashChars += n
    i += m[0].length
  }
  if (literal !== '') parts.push({ literal })
  if (hashChars === 0) throw invalid(format, 'has no {hash:N} field, so every value would get the same pseudonym')
  if (hashChars > MAX_HASH_CHARS) throw invalid(format, `has ${hashChars} hash characters; at most ${MAX_HASH_CHARS} fit in the digest`)
  const length = parts.reduce((sum, part) => sum + ('hash' in part ? part.hash : part.literal.length), 0)
  return Object.freeze({ parts: Object.freeze(parts), hashChars, length })
}

/** The length of every pseudonym in this format (literal text plus hash characters). */
export function formatMaxLength (format: string): number {
  return compiledFormat(format).length
}

const cache = new Map<string, PseudonymFormat>()

/** Formats are few (one per profile rule): parsed once, then looked up. */
function compiledFormat (format: string): PseudonymFormat {
  let parsed = cache.get(format)
  if (parsed === undefined) {
    parsed = parseFormat(format)
    if (cache.size >= FORMAT_CACHE_ENTRIES) cache.clear()
    cache.set(format, parsed)
  }
  return parsed
}

/** `format` filled with base32 characters of `digest`, 5 bits each, most significant first. */
export function pseudonymText (format: string, digest: Uint8Array): string {
  const { parts } = compiledFormat(format)
  let out = ''
  let byte = 0
  let bits = 0
  let acc = 0
  for (const part of parts) {
    if ('literal' in part) {
      out += part.literal
      continue
    }
    for (let k = 0; k < part.hash; k++) {
      if (bits < 5) {
        acc = ((acc << 8) | (digest[byte++] ?? 0)) & 0xfff
        bits += 8
      }
      bits -= 5
      out += HASH_ALPHABET[(acc >> bits) & 0x1f] ?? ''
    }
  }
  return out
}
