/**
 * dicomgate as a library: the streaming DICOM codec and its helpers.
 *
 * The gateway will be exported from here too; everything
 * exported is part of the public API and follows semantic versioning.
 */

export {
  ERROR_CATALOGUE,
  DicomgateError,
  DicomError,
  UsageError,
  isDicomgateError,
  type ErrorCode,
  type ErrorSpec
} from './errors.js'

export type {
  Token,
  TokenType,
  TokenSink,
  PreambleToken,
  DatasetToken,
  ElementToken,
  ValueStartToken,
  ValueChunkToken,
  ValueEndToken,
  SequenceStartToken,
  ItemStartToken,
  ItemEndToken,
  SequenceEndToken,
  EncapsulatedStartToken,
  FragmentStartToken,
  FragmentEndToken,
  EncapsulatedEndToken
} from './dicom/tokens.js'

export { DicomParser, inferTransferSyntax, type ParserOptions } from './dicom/parser.js'
export { DicomWriter, type ByteSink, type WriterOptions } from './dicom/writer.js'
export {
  createReader,
  createWriter,
  createDicomTransform,
  readTokens,
  writeTokens,
  transformBuffer,
  DicomReaderStream,
  DicomWriterStream,
  DicomTransformStream,
  type CodecOptions,
  type DicomTransformOptions,
  type TokenMapper
} from './dicom/stream.js'
export {
  DEFAULT_LIMITS,
  DEFAULT_WHOLE_VALUE_THRESHOLD_BYTES,
  type CodecLimits
} from './dicom/limits.js'
export {
  lookupTransferSyntax,
  IMPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
  type TransferSyntax
} from './dicom/transfer-syntax.js'
export { TAG, UNDEFINED_LENGTH, makeTag, formatTag, parseTag, tagKey, isPrivateTag, isPrivateCreatorTag, isGroupLengthTag, type Tag } from './dicom/tags.js'
export { VRS, isVR, type VR } from './dicom/vr.js'
export { lookupTag, tagForKeyword, keywordOf, implicitVR, type DictionaryEntry } from './dicom/dictionary.js'
export { compileCharset, DEFAULT_CHARSET, type TextCodec } from './dicom/charset.js'
export {
  DicomJsonBuilder,
  toDicomJson,
  stringifyDicomJson,
  type DicomJsonDataset,
  type DicomJsonAttribute,
  type DicomJsonOptions
} from './dicom/json.js'
export { DicomDumper, dumpTokens, type DumpOptions } from './dicom/dump.js'

// ── de-identification (PS3.15 Annex E) ──────────────────────────────────────────────
export {
  createDeidTransform,
  deidentifyBuffer,
  deidentifyJson,
  DeidStage,
  DEFAULT_MAX_HEADER_BYTES,
  DEFAULT_MAX_REWRITTEN_VALUE_BYTES,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  OPTIONS,
  OPTION_SPECS,
  type DeidOptions,
  type DeidEngineOptions,
  type DeidLimits,
  type DeidJsonOptions,
  type OptionName,
  type CompiledProfile,
  type CompiledRule,
  type Operation,
  type ProfileSource,
  type RuleSource
} from './deid/index.js'
export { loadProfile, listProfiles, type LoadOptions, type ProfileSummary } from './deid/profile/load.js'
export { ruleFor } from './deid/profile/lookup.js'
export { deriveKeys, keyedUid, keyedPseudonym, patientDayOffset, DeidKeys } from './pseudonym/keys.js'
export { loadSecret, loadOrCreateSecret, defaultSecretPath } from './pseudonym/secret.js'

// ── Encrypted Attributes and re-identification (PS3.15 E.1.2, RFC 5652) ─────────────
export { createDeidChunkTransform, EncryptedAttributesStage, DEFAULT_MAX_ORIGINALS_BYTES, type DeidEncryption } from './deid/index.js'
export type { MappingListener, PseudonymMapping } from './deid/context.js'
export { createReidentifyTransform, createReidentifyChunkTransform, reidentifyBuffer, ReidentifyStage, type ReidentifyOptions } from './reid/index.js'
export * from './cms/index.js'

// ── pseudonym mapping store ─────────────────────────────────────────────────────────
export { openStore, type Mapping, type MappingStore, type PseudonymStore, type StoreConfig, type StoreStats, type StoreOptions } from './store/index.js'
export { AuditLog, type AuditEvent } from './audit/log.js'
