/**
 * A new re-identification recipient: an RSA key pair and a self-signed certificate for it,
 * as `dicomgate keys init` creates them.
 *
 * The key pair comes from Node's crypto (OpenSSL: seconds faster than node-forge's
 * JavaScript key generation at 3072 bits); node-forge builds and signs the certificate.
 * The certificate only carries the public key to whoever encrypts: nobody validates a
 * chain to it, so self-signed is enough, and its SHA-256 fingerprint is how a person checks
 * that the gateway encrypts to the right one.
 */
import { Buffer } from 'node:buffer'
import { generateKeyPair, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import forge from 'node-forge'
import { certificateFromPem, type RecipientCertificate } from './keys.js'

/** RSA 3072: 128-bit strength (NIST SP 800-57 Part 1 Table 2), enough beyond 2030. */
export const RECIPIENT_RSA_BITS = 3072
export const RECIPIENT_VALIDITY_YEARS = 10
export const RECIPIENT_COMMON_NAME = 'dicomgate re-identification recipient'
/** 16 random bytes: RFC 5280 §4.1.2.2 allows up to 20, and 64 bits of entropy or more is the custom. */
const SERIAL_BYTES = 16
/** notBefore is set this far back, so that a clock slightly behind still accepts the certificate. */
const CLOCK_SKEW_MS = 5 * 60 * 1000

export interface NewRecipient {
  /** PKCS#8 PEM, unencrypted: write it with mode 0600. */
  readonly privateKeyPem: string
  readonly certificatePem: string
  readonly certificate: RecipientCertificate
}

export interface NewRecipientOptions {
  readonly modulusBits?: number
  readonly validityYears?: number
  readonly commonName?: string
  /** The start of validity (tests); now by default. */
  readonly now?: Date
}

export async function createRecipient (options: NewRecipientOptions = {}): Promise<NewRecipient> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: options.modulusBits ?? RECIPIENT_RSA_BITS,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' }
  })
  const now = options.now ?? new Date()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey)
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS)
  const notAfter = new Date(now.getTime())
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + (options.validityYears ?? RECIPIENT_VALIDITY_YEARS))
  cert.validity.notAfter = notAfter
  const name = [{ name: 'commonName', value: options.commonName ?? RECIPIENT_COMMON_NAME }]
  cert.setSubject(name)
  cert.setIssuer(name)
  cert.setExtensions([
    // RFC 5280 §4.2.1.9: an end-entity certificate, not a CA.
    { name: 'basicConstraints', critical: true, cA: false },
    // RFC 5280 §4.2.1.3, RFC 3370 §4.2.1: the key is for key transport only.
    { name: 'keyUsage', critical: true, keyEncipherment: true },
    // RFC 5280 §4.2.1.2 method (1): SHA-1 of the public key, which OpenSSL computes alike.
    { name: 'subjectKeyIdentifier' }
  ])
  const signingKey = forge.pki.privateKeyFromPem(privateKey)
  cert.sign(signingKey, forge.md.sha256.create())
  const certificatePem = forge.pki.certificateToPem(cert)
  return { privateKeyPem: privateKey, certificatePem, certificate: certificateFromPem(certificatePem) }
}

/** A random positive INTEGER of SERIAL_BYTES bytes, as hex, with no leading zero byte (DER minimal). */
function serialNumber (): string {
  const bytes = randomBytes(SERIAL_BYTES)
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01 // positive, and the first byte non-zero
  return Buffer.from(bytes).toString('hex')
}
