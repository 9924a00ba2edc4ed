/**
 * CMS EnvelopedData (RFC 5652 §6) for the Encrypted Attributes Sequence (0400,0500): the
 * Encrypted Content (0400,0520) of PS3.3 C.12.1.1.4.1 is the DER of a ContentInfo holding
 * EnvelopedData, whose content is the encoded Encrypted Attributes Data Set (PS3.15 E.1.1
 * item 4; docs/reidentification.md has the byte layout and what GDCM writes).
 *
 * What dicomgate writes is what gdcmanon and `openssl cms -encrypt` write by default, so
 * that either can read it: one KeyTransRecipientInfo per recipient certificate, identified
 * by issuerAndSerialNumber, with RSAES-PKCS1-v1_5 key transport (key-transport.ts), and
 * the content encrypted with AES-256-CBC (AES-128-CBC on request) under a random key and IV.
 * It reads AES-128/192/256-CBC and Triple-DES-CBC, the ciphers a re-identifier must read
 * (PS3.15 E.1.2).
 *
 * EnvelopedData is not authenticated: whoever can change the file can change the decrypted
 * bytes (CBC is malleable). The caller must treat what decryptEnveloped returns as untrusted
 * input and parse it as strictly as any other dataset.
 */
import { Buffer } from 'node:buffer'
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { DicomgateError } from '../errors.js'
import { CONTENT_CIPHERS, OID, WRITABLE_CIPHERS, writableCipher, type ContentCipher, type ContentCipherName } from './algorithms.js'
import { algorithmIdentifier, contextConstructed, contextPrimitive, octetString, oid, sequence, setOf, smallInteger, tlv } from './der.js'
import { readEnvelopedData, type KeyTransRecipient } from './enveloped-data.js'
import { unwrapKey, wrapKey } from './key-transport.js'
import type { RecipientCertificate, RecipientKey } from './keys.js'

export type { ContentCipherName } from './algorithms.js'
export type { RecipientCertificate, RecipientKey } from './keys.js'

export interface EncryptOptions {
  /** The content cipher; AES-256-CBC unless told otherwise. */
  readonly cipher?: ContentCipherName
}

const DEFAULT_CIPHER: ContentCipherName = 'aes-256-cbc'

// Fixed parts of the output, encoded once.
const CONTENT_TYPE_ENVELOPED = oid(OID.envelopedData)
const CONTENT_TYPE_DATA = oid(OID.data)
const RSA_ENCRYPTION = algorithmIdentifier(OID.rsaEncryption)
/**
 * Versions 0: RFC 5652 §6.1 (no originatorInfo, no unprotectedAttrs, every RecipientInfo a
 * version-0 KeyTransRecipientInfo) and §6.2.1 (rid is issuerAndSerialNumber).
 */
const VERSION_0 = smallInteger(0)

/**
 * Encrypts `content` for every recipient; returns the DER of the ContentInfo. Each call
 * makes a fresh content-encryption key and IV (crypto.randomBytes).
 */
export function encryptEnveloped (content: Uint8Array, recipients: readonly RecipientCertificate[], options: EncryptOptions = {}): Uint8Array {
  if (recipients.length === 0) throw new DicomgateError('DG_KEY_INVALID', 'encrypting the Encrypted Attributes needs at least one recipient certificate')
  const cipher = writableCipher(options.cipher ?? DEFAULT_CIPHER)
  if (cipher === undefined) throw new DicomgateError('DG_CMS_INVALID', `the content cipher must be one of ${WRITABLE_CIPHERS.join(', ')}`)
  const contentKey = randomBytes(cipher.keyLength)
  const iv = randomBytes(cipher.ivLength)
  try {
    const encipher = createCipheriv(cipher.name, contentKey, iv)
    const encrypted = Buffer.concat([encipher.update(content), encipher.final()]) // PKCS#7 padding, RFC 5652 §6.3
    const recipientInfos = recipients.map((recipient) => sequence(
      VERSION_0,
      recipient.issuerAndSerialNumber,
      RSA_ENCRYPTION,
      octetString(wrapKey(recipient.publicKey, contentKey))
    ))
    const envelopedData = sequence(
      VERSION_0,
      setOf(recipientInfos),
      sequence(CONTENT_TYPE_DATA, algorithmIdentifier(cipher.oid, octetString(iv)), tlv(contextPrimitive(0), encrypted))
    )
    return sequence(CONTENT_TYPE_ENVELOPED, tlv(contextConstructed(0), envelopedData))
  } finally {
    contentKey.fill(0)
  }
}

/**
 * Decrypts the DER (or BER) of a ContentInfo holding EnvelopedData with the recipient's
 * key; returns the content. DG_CMS_INVALID when it is malformed, uses an algorithm
 * dicomgate does not read, or (with the key's certificate) does not decrypt;
 * DG_CMS_NO_RECIPIENT when it was not encrypted for this key.
 *
 * With the key's certificate, the RecipientInfo is found by its identifier. Without it,
 * every RecipientInfo with an RSA ciphertext of the key's size is tried, as OpenSSL's
 * CMS_decrypt does without a certificate; then "not for this key" and "damaged" cannot be
 * told apart without giving an attacker a padding oracle (RFC 3218 §2.3), and both are
 * DG_CMS_NO_RECIPIENT. In both modes, a wrong key that passes every check by chance (about
 * 1 in 2^32) returns random bytes: the caller's strict parse of the content catches them.
 */
export function decryptEnveloped (der: Uint8Array, key: RecipientKey): Uint8Array {
  const enveloped = readEnvelopedData(der)
  const cipher = CONTENT_CIPHERS.get(enveloped.contentEncryptionAlgorithm)
  if (cipher === undefined) {
    throw new DicomgateError('DG_CMS_INVALID', `the content cipher ${enveloped.contentEncryptionAlgorithm} is not supported (dicomgate reads AES-CBC and Triple-DES-CBC)`)
  }
  const iv = enveloped.iv
  if (iv?.byteLength !== cipher.ivLength) throw new DicomgateError('DG_CMS_INVALID', `the ${cipher.name} IV is missing or not ${cipher.ivLength} bytes`)
  if (enveloped.encryptedContent.byteLength === 0 || enveloped.encryptedContent.byteLength % cipher.ivLength !== 0) {
    throw new DicomgateError('DG_CMS_INVALID', `the encrypted content is ${enveloped.encryptedContent.byteLength} bytes, not whole ${cipher.name} blocks`)
  }
  const contentKey = key.certificate === undefined
    ? keyByTrial(enveloped.keyTransRecipients, enveloped.otherRecipients, key, cipher)
    : keyByIdentifier(enveloped.keyTransRecipients, enveloped.otherRecipients, key, key.certificate, cipher)
  try {
    const decipher = createDecipheriv(cipher.name, contentKey, iv)
    return new Uint8Array(Buffer.concat([decipher.update(enveloped.encryptedContent), decipher.final()]))
  } catch (err) {
    // With a random key (wrong key, damaged encryptedKey), the padding check fails here.
    throw key.certificate === undefined
      ? new DicomgateError('DG_CMS_NO_RECIPIENT', 'the Encrypted Content does not decrypt with this key: it was encrypted for another key, or is damaged', { cause: err })
      : new DicomgateError('DG_CMS_INVALID', 'the Encrypted Content does not decrypt with the key of its recipient certificate: it is damaged', { cause: err })
  } finally {
    contentKey.fill(0)
  }
}

/** The content key from the RecipientInfo that names the key's certificate (RFC 5652 §6.2.1). */
function keyByIdentifier (recipients: readonly KeyTransRecipient[], others: number, key: RecipientKey, certificate: RecipientCertificate, cipher: ContentCipher): Uint8Array {
  const ski = certificate.subjectKeyIdentifier
  const recipient = recipients.find((r) =>
    (r.issuerAndSerialNumber !== undefined && Buffer.compare(r.issuerAndSerialNumber, certificate.issuerAndSerialNumber) === 0) ||
    (r.subjectKeyIdentifier !== undefined && ski !== undefined && Buffer.compare(r.subjectKeyIdentifier, ski) === 0))
  if (recipient === undefined) {
    throw new DicomgateError('DG_CMS_NO_RECIPIENT', `none of the ${recipients.length + others} recipients of the Encrypted Content is the given certificate (SHA-256 ${certificate.fingerprint256})`)
  }
  checkKeyTransport(recipient)
  if (recipient.encryptedKey.byteLength !== key.modulusBytes) {
    throw new DicomgateError('DG_CMS_INVALID', `the encrypted key is ${recipient.encryptedKey.byteLength} bytes, not the ${key.modulusBytes} of the recipient's RSA key`)
  }
  // Wrong padding gives a random key: the failure shows when the content is decrypted.
  return unwrapKey(key.privateKey, key.modulusBytes, recipient.encryptedKey, cipher.keyLength).key
}

/**
 * Without a certificate: every RSA RecipientInfo whose ciphertext has the key's size is
 * tried, all of them whatever the outcome; the first that unwraps wins, else a random key.
 */
function keyByTrial (recipients: readonly KeyTransRecipient[], others: number, key: RecipientKey, cipher: ContentCipher): Uint8Array {
  const sized = recipients.filter((r) => r.encryptedKey.byteLength === key.modulusBytes)
  const candidates = sized.filter((r) => r.keyEncryptionAlgorithm === OID.rsaEncryption)
  if (candidates.length === 0) {
    const first = sized[0]
    if (first !== undefined) checkKeyTransport(first)
    throw new DicomgateError('DG_CMS_NO_RECIPIENT', `none of the ${recipients.length + others} recipients of the Encrypted Content has an RSA key of ${key.modulusBytes * 8} bits`)
  }
  let chosen: Uint8Array | undefined
  for (const candidate of candidates) {
    const unwrapped = unwrapKey(key.privateKey, key.modulusBytes, candidate.encryptedKey, cipher.keyLength)
    if (unwrapped.valid && chosen === undefined) chosen = unwrapped.key
    else unwrapped.key.fill(0)
  }
  return chosen ?? new Uint8Array(randomBytes(cipher.keyLength))
}

function checkKeyTransport (recipient: KeyTransRecipient): void {
  if (recipient.keyEncryptionAlgorithm === OID.rsaEncryption) return
  const name = recipient.keyEncryptionAlgorithm === OID.rsaesOaep ? 'RSAES-OAEP' : recipient.keyEncryptionAlgorithm
  throw new DicomgateError('DG_CMS_INVALID', `the key transport ${name} is not supported (PS3.15 E.1.1 uses rsaEncryption, RSAES-PKCS1-v1_5)`)
}
