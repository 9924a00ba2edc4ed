/**
 * Reading a ContentInfo that holds EnvelopedData (RFC 5652 §3, §6.1), from untrusted bytes:
 * the Encrypted Content (0400,0520) of a DICOM instance (PS3.3 C.12.1.1.4.1).
 *
 * Only the shape is checked here; what the algorithms mean, and the key, are enveloped.ts's
 * business. Anything that does not have the shape is DG_CMS_INVALID.
 */
import { DicomgateError } from '../errors.js'
import { OID } from './algorithms.js'
import {
  Asn1ShapeError, UNIVERSAL_TYPE, childrenOf, contentOctets, encode, expectUniversal, isContext, isUniversal, oidOf,
  parseBer, sequenceOf, smallIntegerOf, type Asn1Node
} from './asn1.js'

/** A KeyTransRecipientInfo (RFC 5652 §6.2.1). */
export interface KeyTransRecipient {
  /** DER of the IssuerAndSerialNumber, as re-encoded by the parser, when the rid is one. */
  readonly issuerAndSerialNumber: Uint8Array | undefined
  /** The subjectKeyIdentifier, when the rid is one. */
  readonly subjectKeyIdentifier: Uint8Array | undefined
  readonly keyEncryptionAlgorithm: string
  readonly encryptedKey: Uint8Array
}

export interface EnvelopedData {
  /** The KeyTransRecipientInfos, in order. */
  readonly keyTransRecipients: readonly KeyTransRecipient[]
  /** How many RecipientInfos of other kinds (key agreement, KEK, password, other) were skipped. */
  readonly otherRecipients: number
  readonly contentEncryptionAlgorithm: string
  /**
   * The algorithm's parameters when they are an OCTET STRING: the IV of the CBC ciphers
   * (RFC 3565 §4.1, RFC 3370 §5.1).
   */
  readonly iv: Uint8Array | undefined
  readonly encryptedContent: Uint8Array
}

/**
 * At most this many bytes may follow the ContentInfo, all zero: the padding of an OB value
 * to even length (PS3.5 §7.1). gdcmanon leaves one when the DER length is odd.
 */
const MAX_TRAILING_PADDING = 1

function invalid (message: string, cause?: unknown): DicomgateError {
  return new DicomgateError('DG_CMS_INVALID', message, cause === undefined ? undefined : { cause })
}

export function readEnvelopedData (der: Uint8Array): EnvelopedData {
  try {
    return read(der)
  } catch (err) {
    if (err instanceof Asn1ShapeError) throw invalid(`the Encrypted Content is not CMS EnvelopedData: ${err.message}`, err)
    throw err
  }
}

function read (der: Uint8Array): EnvelopedData {
  const { node, trailing } = parseBer(der, 'ContentInfo')
  if (trailing.byteLength > MAX_TRAILING_PADDING || trailing.some((b) => b !== 0)) {
    throw new Asn1ShapeError(`ContentInfo is followed by ${trailing.byteLength} bytes that are not padding`)
  }
  const contentInfo = sequenceOf(node, 'ContentInfo')
  const contentType = oidOf(contentInfo[0], 'ContentInfo contentType')
  if (contentType !== OID.envelopedData) {
    throw invalid(`the Encrypted Content is CMS content type ${contentType}, not EnvelopedData (${OID.envelopedData})`)
  }
  if (!isContext(contentInfo[1], 0)) throw new Asn1ShapeError('ContentInfo content is missing')
  const fields = sequenceOf(childrenOf(contentInfo[1], 'ContentInfo content')[0], 'EnvelopedData')
  smallIntegerOf(fields[0], 'EnvelopedData version')
  let index = 1
  if (isContext(fields[index], 0)) index++ // originatorInfo: certificates and CRLs, not needed to decrypt
  const recipientInfos = childrenOf(expectUniversal(fields[index], UNIVERSAL_TYPE.SET, 'recipientInfos'), 'recipientInfos')
  if (recipientInfos.length === 0) throw new Asn1ShapeError('recipientInfos is empty')
  const keyTransRecipients: KeyTransRecipient[] = []
  for (const info of recipientInfos) {
    // RecipientInfo is a CHOICE: only ktri is an untagged SEQUENCE (RFC 5652 §6.2).
    if (isUniversal(info, UNIVERSAL_TYPE.SEQUENCE)) keyTransRecipients.push(keyTransRecipient(info))
  }
  const encryptedContentInfo = sequenceOf(fields[index + 1], 'EncryptedContentInfo')
  const innerType = oidOf(encryptedContentInfo[0], 'EncryptedContentInfo contentType')
  if (innerType !== OID.data) throw invalid(`the encrypted content has type ${innerType}, not id-data (${OID.data})`)
  const algorithm = sequenceOf(encryptedContentInfo[1], 'contentEncryptionAlgorithm')
  const content = encryptedContentInfo[2]
  if (!isContext(content, 0)) throw invalid('the encrypted content is missing (detached content is not supported)')
  return {
    keyTransRecipients,
    otherRecipients: recipientInfos.length - keyTransRecipients.length,
    contentEncryptionAlgorithm: oidOf(algorithm[0], 'contentEncryptionAlgorithm'),
    iv: isUniversal(algorithm[1], UNIVERSAL_TYPE.OCTET_STRING) ? contentOctets(algorithm[1], 'IV') : undefined,
    encryptedContent: contentOctets(content, 'encryptedContent')
  }
}

function keyTransRecipient (info: Asn1Node): KeyTransRecipient {
  const [version, rid, algorithm, encryptedKey] = sequenceOf(info, 'KeyTransRecipientInfo')
  smallIntegerOf(version, 'KeyTransRecipientInfo version')
  let issuerAndSerialNumber: Uint8Array | undefined
  let subjectKeyIdentifier: Uint8Array | undefined
  if (isUniversal(rid, UNIVERSAL_TYPE.SEQUENCE)) {
    const [issuer, serial] = sequenceOf(rid, 'issuerAndSerialNumber')
    expectUniversal(issuer, UNIVERSAL_TYPE.SEQUENCE, 'issuer')
    expectUniversal(serial, UNIVERSAL_TYPE.INTEGER, 'serialNumber')
    issuerAndSerialNumber = encode(rid)
  } else if (isContext(rid, 0)) {
    subjectKeyIdentifier = contentOctets(rid, 'subjectKeyIdentifier')
  } else {
    throw new Asn1ShapeError('KeyTransRecipientInfo rid is neither issuerAndSerialNumber nor subjectKeyIdentifier')
  }
  return {
    issuerAndSerialNumber,
    subjectKeyIdentifier,
    keyEncryptionAlgorithm: oidOf(sequenceOf(algorithm, 'keyEncryptionAlgorithm')[0], 'keyEncryptionAlgorithm'),
    encryptedKey: contentOctets(expectUniversal(encryptedKey, UNIVERSAL_TYPE.OCTET_STRING, 'encryptedKey'), 'encryptedKey')
  }
}
