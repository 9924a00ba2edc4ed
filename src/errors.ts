/**
 * The one error catalogue of dicomgate.
 *
 * Every error that dicomgate raises is a `DicomgateError` with a stable `code` from
 * `ERROR_CATALOGUE`. Match errors by `code`, never by message. `docs/errors.md` lists the
 * same codes, and `test/errors.test.ts` keeps the two in step.
 *
 * Messages never carry payload values (names, IDs, dates, UIDs…): only offsets, tags,
 * lengths and limits. They may reach logs, and logs must stay free of PHI.
 */

export interface ErrorSpec {
  /** HTTP status when the error reaches a client through the gateway. */
  readonly status: number
  /** One line: what happened, in general terms (the thrown message adds the specifics). */
  readonly summary: string
  /** What the user can do about it. */
  readonly remedy: string
}

export const ERROR_CATALOGUE = {
  // ── DICOM codec: input that is not well-formed DICOM (PS3.5, PS3.10) ──────────────
  DG_DICOM_TRUNCATED: {
    status: 422,
    summary: 'The DICOM stream ended inside an element, item, sequence or fragment.',
    remedy: 'The input is incomplete: fetch or copy it again; a partial file is never passed on.'
  },
  DG_DICOM_MALFORMED: {
    status: 422,
    summary: 'The DICOM stream does not follow the encoding rules of PS3.5 (bad item tag, bad delimiter, inconsistent length).',
    remedy: 'Validate the input with dcmdump or dciodvfy; dicomgate rejects what it cannot parse with certainty.'
  },
  DG_DICOM_NOT_DICOM: {
    status: 415,
    summary: 'The input is neither a DICOM Part 10 file nor a raw DICOM dataset.',
    remedy: 'Check that the input is DICOM (PS3.10: 128-byte preamble then "DICM").'
  },
  DG_DICOM_UNKNOWN_TRANSFER_SYNTAX: {
    status: 415,
    summary: 'The Transfer Syntax UID is missing or not one dicomgate can read.',
    remedy: 'Convert the file to a standard transfer syntax (e.g. with dcmconv), or report the UID so support can be added.'
  },
  DG_DICOM_UNDEFINED_LENGTH: {
    status: 422,
    summary: 'An element has undefined length (FFFFFFFF) where PS3.5 7.1 does not allow it.',
    remedy: 'Only sequences, items, encapsulated pixel data and UN may have undefined length; the input is malformed.'
  },
  DG_DICOM_LENGTH_EXCEEDS_CONTAINER: {
    status: 422,
    summary: 'An element or item is longer than the item, sequence or file that contains it.',
    remedy: 'The input is malformed or truncated; dicomgate does not guess where the element ends.'
  },
  DG_DICOM_ELEMENT_TOO_LONG: {
    status: 413,
    summary: 'An element is longer than the configured maximum element length.',
    remedy: 'Raise limits.maxElementLength if such elements are expected.'
  },
  DG_DICOM_DEPTH_EXCEEDED: {
    status: 422,
    summary: 'Sequences are nested deeper than the configured maximum depth.',
    remedy: 'Raise limits.maxDepth if such nesting is legitimate; the default stops depth bombs.'
  },
  DG_DICOM_HEADER_TOO_LARGE: {
    status: 413,
    summary: 'The file meta information is larger than the configured maximum.',
    remedy: 'Raise limits.maxMetaLength if such headers are expected.'
  },
  DG_DICOM_DEFLATE_BOMB: {
    status: 413,
    summary: 'The deflated dataset inflates past the configured maximum.',
    remedy: 'Raise limits.maxInflatedLength if such files are expected; otherwise the input is a decompression bomb.'
  },
  DG_DICOM_DEFLATE_INVALID: {
    status: 422,
    summary: 'The deflated dataset is not a valid raw deflate stream (RFC 1951).',
    remedy: 'The file is damaged; fetch or copy it again.'
  },
  DG_DICOM_UNKNOWN_CHARSET: {
    status: 422,
    summary: 'The Specific Character Set (0008,0005) names a character set dicomgate does not know.',
    remedy: 'Text is never decoded by guessing; correct the Specific Character Set of the input.'
  },
  DG_DICOM_UNENCODABLE_TEXT: {
    status: 422,
    summary: 'A text value has a character that the Specific Character Set in effect cannot encode.',
    remedy: 'Use a value in the dataset\'s character set, or a dataset in ISO_IR 192 (UTF-8).'
  },
  DG_DICOM_TOKEN_ORDER: {
    status: 500,
    summary: 'The DICOM writer received tokens it cannot encode: out of order, or a value too long for its VR.',
    remedy: 'A programming error in a token transform: report it with the error code.'
  },
  DG_DICOM_WRITER_LENGTH_MISMATCH: {
    status: 500,
    summary: 'The bytes written for a defined-length element, item or sequence do not match its declared length.',
    remedy: 'A token transform changed content inside a defined-length container: it must mark the container as undefined length.'
  },

  // ── Profiles: loading and compiling de-identification profiles (PS3.15 Annex E) ────
  DG_PROFILE_NOT_FOUND: {
    status: 500,
    summary: 'The named de-identification profile is neither a shipped profile nor a readable file.',
    remedy: 'Use a shipped name (`dicomgate profile list`) or a path to a profile JSON file.'
  },
  DG_PROFILE_INVALID: {
    status: 500,
    summary: 'A profile file does not follow profiles/profile.schema.json, or names an unknown keyword, tag, option or action.',
    remedy: 'Fix the entry named in the message (file and JSON path); docs/profiles.md describes every field.'
  },
  DG_PROFILE_CYCLE: {
    status: 500,
    summary: 'Profiles extend each other in a cycle.',
    remedy: 'Remove one of the `extends` links named in the message.'
  },

  // ── De-identification: instances that cannot be de-identified are rejected ─────────
  DG_DEID_REJECTED_SOP_CLASS: {
    status: 403,
    summary: 'The instance belongs to a SOP class the profile rejects (e.g. Encapsulated PDF, Secondary Capture).',
    remedy: 'Such instances often carry PHI that attribute rules cannot reach; review them by hand, or use a profile that allows the class.'
  },
  DG_DEID_BURNED_IN_ANNOTATION: {
    status: 403,
    summary: 'The instance says Burned In Annotation (0028,0301) = YES, and the profile rejects such instances.',
    remedy: 'Identifying text in the pixels cannot be removed by attribute rules; clean the pixels first, or use a profile that accepts them.'
  },
  DG_DEID_HEADER_TOO_LARGE: {
    status: 422,
    summary: 'The attributes before Burned In Annotation (0028,0301), which the engine reads before it writes anything, exceed the limit.',
    remedy: 'Raise `maxHeaderBytes` if such headers are expected; the limit bounds memory per instance.'
  },
  DG_DEID_VALUE_TOO_LARGE: {
    status: 422,
    summary: 'A value that must be rewritten (a text to clean, a UID, a date) is larger than the limit for values held in memory.',
    remedy: 'Raise `maxRewrittenValueBytes`, or remove the attribute with a profile rule.'
  },
  DG_DEID_UNREADABLE_VALUE: {
    status: 422,
    summary: 'A value could not be interpreted well enough to de-identify it (e.g. a UN element that should be a sequence but does not parse).',
    remedy: 'The instance is rejected rather than passed on unread; check it with dcmdump, or remove the attribute with a profile rule.'
  },
  DG_DEID_ORIGINALS_TOO_LARGE: {
    status: 422,
    summary: 'With Encrypted Attributes on, the original attributes held until Pixel Data (to encrypt those replaced or removed) exceed the limit.',
    remedy: 'Raise `maxOriginalsBytes` if such headers are expected, or de-identify this instance without encrypting the originals.'
  },
  DG_SECRET_INVALID: {
    status: 500,
    summary: 'The pseudonymization secret file is missing, unreadable, too short, or readable by others.',
    remedy: 'Point --secret-file at a file of at least 32 random bytes with mode 0600, or let dicomgate create one.'
  },

  // ── Pseudonym store: pseudonym → original, encrypted at rest ────────────────────────
  DG_STORE_UNAVAILABLE: {
    status: 503,
    summary: 'The pseudonym store could not be opened, read or written (file, lock or database connection).',
    remedy: 'Check the store path or database URL and that the database is up; nothing is passed on while mappings cannot be recorded.'
  },
  DG_STORE_CONFLICT: {
    status: 500,
    summary: 'A pseudonym is already recorded for a different original value.',
    remedy: 'Most often a pseudonym format too short to be unique (e.g. {hash:4}) made the same pseudonym for two originals: lengthen the format. Otherwise the store was written with another secret. Mappings are never overwritten.'
  },
  DG_STORE_KEY_MISMATCH: {
    status: 500,
    summary: 'The pseudonym store was created with another secret: its values cannot be decrypted with this one.',
    remedy: 'Use the secret file the store was created with, or a new store for a new secret.'
  },

  // ── Encrypted Attributes (PS3.15 E.1.2, CMS RFC 5652) and keys ─────────────────────
  DG_REID_HELD_TOO_LARGE: {
    status: 422,
    summary: 'The attributes before the Encrypted Attributes Sequence (0400,0500), held to re-identify the instance, exceed the limit.',
    remedy: 'Raise `maxHeldBytes` if such headers are expected; the limit bounds memory per instance.'
  },
  DG_CMS_INVALID: {
    status: 422,
    summary: 'The Encrypted Attributes Sequence (0400,0500) or its CMS EnvelopedData is malformed or fails to decrypt.',
    remedy: 'The file may be damaged, or was encrypted with an algorithm dicomgate does not support (see docs/reidentification.md).'
  },
  DG_CMS_NO_RECIPIENT: {
    status: 403,
    summary: 'The Encrypted Attributes were not encrypted for the given key.',
    remedy: 'Use the private key of one of the recipient certificates the file was encrypted for.'
  },
  DG_CMS_NOT_ENCRYPTED: {
    status: 422,
    summary: 'The instance has no Encrypted Attributes Sequence (0400,0500) to re-identify from.',
    remedy: 'Only instances de-identified with encryption (`--encrypt-to`, or a profile that sets it) can be re-identified.'
  },
  DG_KEY_INVALID: {
    status: 500,
    summary: 'A certificate or private key file is missing, unreadable, not PEM, not RSA, or (for a private key) readable by others.',
    remedy: 'Point the option at a PEM file made by `dicomgate keys init` (private keys with mode 0600).'
  },
  DG_KEY_EXISTS: {
    status: 500,
    summary: 'A key file that would be created already exists.',
    remedy: 'Keys are never overwritten: move the old files away first, or choose another folder with --dir.'
  },

  // ── Command line ─────────────────────────────────────────────────────────────────
  DG_CLI_USAGE: {
    status: 400,
    summary: 'The command line is not valid.',
    remedy: 'Run `dicomgate --help` for the commands and their options.'
  },
  DG_IO: {
    status: 500,
    summary: 'A file could not be read or written.',
    remedy: 'Check that the path exists and that dicomgate may read or write it.'
  }
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERROR_CATALOGUE

/** The base of every error dicomgate throws. */
export class DicomgateError extends Error {
  override readonly name: string = 'DicomgateError'
  readonly code: ErrorCode
  readonly status: number

  constructor (code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.status = ERROR_CATALOGUE[code].status
  }
}

/** Errors raised while decoding or encoding DICOM: they carry the byte offset where known. */
export class DicomError extends DicomgateError {
  override readonly name: string = 'DicomError'
  /** Offset in the (inflated) input stream where the problem was found, when known. */
  readonly offset: number | undefined

  constructor (code: ErrorCode, message: string, options?: { cause?: unknown, offset?: number }) {
    super(code, options?.offset === undefined ? message : `${message} (at byte ${options.offset})`, options)
    this.offset = options?.offset
  }
}

export class UsageError extends DicomgateError {
  override readonly name: string = 'UsageError'
  constructor (message: string) {
    super('DG_CLI_USAGE', message)
  }
}

export function isDicomgateError (value: unknown): value is DicomgateError {
  return value instanceof DicomgateError
}
