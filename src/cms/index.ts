/**
 * CMS for the Encrypted Attributes Sequence (0400,0500) (PS3.15 E.1.1, E.1.2; RFC 5652):
 * EnvelopedData for RSA recipients (enveloped.ts), their certificates and private keys
 * (keys.ts), and new recipients for `dicomgate keys init` (recipient.ts).
 * docs/reidentification.md describes the layout, and what GDCM's gdcmanon writes and reads.
 */
export { WRITABLE_CIPHERS, type ContentCipherName } from './algorithms.js'
export { decryptEnveloped, encryptEnveloped, type EncryptOptions } from './enveloped.js'
export {
  MIN_RSA_BITS, certificateFromPem, loadCertificate, loadPrivateKey, privateKeyFromPem,
  type RecipientCertificate, type RecipientKey
} from './keys.js'
export { RECIPIENT_RSA_BITS, createRecipient, type NewRecipient, type NewRecipientOptions } from './recipient.js'
