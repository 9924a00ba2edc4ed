/**
 * A sequence that arrived as UN with a defined length (PS3.5 §6.2.2: a receiver that did not
 * know the attribute wrote its value as UN, which holds the Implicit VR Little Endian
 * encoding). Its items may hold PHI like any other sequence, so the engine reads it as the
 * sequence it is rather than passing opaque bytes on.
 */

import { Buffer } from 'node:buffer'
import { DicomgateError, isDicomgateError } from '../errors.js'
import { DicomParser } from '../dicom/parser.js'
import type { Tag } from '../dicom/tags.js'
import type { Token } from '../dicom/tokens.js'
import { IMPLICIT_VR_LITTLE_ENDIAN } from '../dicom/transfer-syntax.js'

/** The tokens of `tag`'s value read as an Implicit VR LE sequence: sequence-start … sequence-end. */
export function reparseUnknownSequence (tag: Tag, value: Uint8Array): Token[] {
  const tokens: Token[] = []
  const parser = new DicomParser({ token: (t) => { if (t.type !== 'dataset') tokens.push(t) } }, { datasetTransferSyntax: IMPLICIT_VR_LITTLE_ENDIAN })
  const header = Buffer.alloc(8)
  header.writeUInt16LE(tag >>> 16, 0)
  header.writeUInt16LE(tag & 0xffff, 2)
  header.writeUInt32LE(value.length, 4)
  try {
    parser.write(header)
    parser.write(value)
    parser.end()
  } catch (err) {
    if (!isDicomgateError(err)) throw err
    throw new DicomgateError('DG_DEID_UNREADABLE_VALUE', `a sequence encoded as UN does not parse as Implicit VR Little Endian (${err.code})`, { cause: err })
  }
  if (tokens[0]?.type !== 'sequence-start') {
    throw new DicomgateError('DG_DEID_UNREADABLE_VALUE', 'a sequence encoded as UN does not parse as a sequence')
  }
  return tokens
}
