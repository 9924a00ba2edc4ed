/**
 * Recipient certificates and private keys for the Encrypted Attributes Sequence.
 *
 * The gateway and `dicomgate deid` encrypt to certificates (the public half); only the
 * honest broker who may re-identify holds a private key. Both are RSA (PS3.15 E.1.1: RSA
 * key transport), read from PEM (a certificate may also be DER). A private key file must
 * not be readable or writable by group or others (checked on POSIX, on the open file, as
 * src/pseudonym/secret.ts does for the secret); dicomgate reads unencrypted PEM and relies
 * on that mode, as OpenSSL-based tools do.
 *
 * Errors are DG_KEY_INVALID. Paths are not PHI and are named so that the fix can be
 * copied; key material never appears in a message (a KeyObject does not print it either).
 */
import { Buffer } from 'node:buffer'
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { DicomgateError } from '../errors.js'
import { OID } from './algorithms.js'
import {
  Asn1ShapeError, UNIVERSAL_TYPE, childrenOf, contentOctets, encode, expectUniversal, isContext, oidOf,
  parseBer, sequenceOf, type Asn1Node
} from './asn1.js'
import { sequence } from './der.js'

/** Smaller RSA keys are refused for encryption (NIST SP 800-131A Rev. 2: 112-bit strength). */
export const MIN_RSA_BITS = 2048
/** Larger files are refused: a PEM key or certificate is a few kilobytes. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024

const GROUP_OTHER_BITS = 0o077
const CHECKS_MODE = process.platform !== 'win32'
/** PKCS#8 EncryptedPrivateKeyInfo (RFC 5958 §3), and OpenSSL's encrypted PKCS#1 header. */
const ENCRYPTED_PEM_MARKERS = ['-----BEGIN ENCRYPTED PRIVATE KEY-----', 'Proc-Type: 4,ENCRYPTED']
/** keyUsage bit 2, keyEncipherment (RFC 5280 §4.2.1.3), in the first byte of the bits. */
const KEY_ENCIPHERMENT = 0x20

/** A recipient's X.509 certificate, as encryptEnveloped needs it. Frozen. */
export interface RecipientCertificate {
  /** The certificate, DER (RFC 5280). */
  readonly der: Uint8Array
  /** Its RSA public key. */
  readonly publicKey: KeyObject
  readonly modulusBits: number
  /**
   * The DER of IssuerAndSerialNumber (RFC 5652 §10.2.4) from the certificate's issuer and
   * serial number (for a DER certificate, its own bytes): the recipient identifier written
   * into each KeyTransRecipientInfo.
   */
  readonly issuerAndSerialNumber: Uint8Array
  /** The Subject Key Identifier extension (RFC 5280 §4.2.1.2), when present. */
  readonly subjectKeyIdentifier: Uint8Array | undefined
  /** SHA-256 of the DER as colon-separated hex, the form `openssl x509 -fingerprint -sha256` prints. */
  readonly fingerprint256: string
}

/** A recipient's RSA private key, as decryptEnveloped needs it. Frozen. */
export interface RecipientKey {
  readonly privateKey: KeyObject
  /** Length of the modulus in bytes: every RSA ciphertext for this key has it. */
  readonly modulusBytes: number
  /**
   * The key's certificate, when given: recipients are then matched by issuer and serial
   * number or subject key identifier, so that a file for someone else is told apart
   * without using the key (DG_CMS_NO_RECIPIENT).
   */
  readonly certificate: RecipientCertificate | undefined
}

function invalid (message: string, cause?: unknown): DicomgateError {
  return new DicomgateError('DG_KEY_INVALID', message, cause === undefined ? undefined : { cause })
}

/** A certificate from PEM text (or DER bytes). `source` names it in messages. */
export function certificateFromPem (pem: string | Uint8Array, source = 'certificate'): RecipientCertificate {
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(typeof pem === 'string' ? pem : Buffer.from(pem))
  } catch (err) {
    throw invalid(`${source} is not an X.509 certificate in PEM or DER`, err)
  }
  const publicKey = x509.publicKey
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw invalid(`${source} has a ${publicKey.asymmetricKeyType ?? 'unknown'} key; RSA key transport needs an RSA certificate (PS3.15 E.1.1)`)
  }
  const modulusBits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0
  if (modulusBits < MIN_RSA_BITS) throw invalid(`${source} has a ${modulusBits}-bit RSA key; at least ${MIN_RSA_BITS} bits are needed`)
  const der = new Uint8Array(x509.raw)
  let fields: CertificateFields
  try {
    fields = certificateFields(der)
  } catch (err) {
    if (err instanceof Asn1ShapeError) throw invalid(`${source}: ${err.message}`, err)
    throw err
  }
  if (fields.keyUsage !== undefined && (fields.keyUsage & KEY_ENCIPHERMENT) === 0) {
    // RFC 5280 §4.2.1.3: the owner did not certify the key for key transport.
    throw invalid(`${source} has a key usage extension without keyEncipherment; it is not meant for encryption`)
  }
  return Object.freeze({
    der,
    publicKey,
    modulusBits,
    issuerAndSerialNumber: fields.issuerAndSerialNumber,
    subjectKeyIdentifier: fields.subjectKeyIdentifier,
    fingerprint256: x509.fingerprint256
  })
}

interface CertificateFields {
  readonly issuerAndSerialNumber: Uint8Array
  readonly subjectKeyIdentifier: Uint8Array | undefined
  /** The first byte of the keyUsage bits, when the extension is present. */
  readonly keyUsage: number | undefined
}

/**
 * From the TBSCertificate (RFC 5280 §4.1): version [0] EXPLICIT (optional), serialNumber,
 * signature, issuer, validity, subject, subjectPublicKeyInfo, …, extensions [3] EXPLICIT.
 */
function certificateFields (der: Uint8Array): CertificateFields {
  const [tbsNode] = sequenceOf(parseBer(der, 'the certificate').node, 'Certificate')
  const tbs = sequenceOf(tbsNode, 'TBSCertificate')
  const first = isContext(tbs[0], 0) ? 1 : 0
  const serial = expectUniversal(tbs[first], UNIVERSAL_TYPE.INTEGER, 'serialNumber')
  const issuer = expectUniversal(tbs[first + 2], UNIVERSAL_TYPE.SEQUENCE, 'issuer')
  let subjectKeyIdentifier: Uint8Array | undefined
  let keyUsage: number | undefined
  const extensions = tbs.find((node) => isContext(node, 3))
  for (const extension of extensions === undefined ? [] : sequenceOf(childrenOf(extensions, 'extensions')[0], 'Extensions')) {
    const parts = sequenceOf(extension, 'Extension')
    const id = oidOf(parts[0], 'extnID')
    const value = parts[parts.length - 1]
    if (id !== OID.subjectKeyIdentifier && id !== OID.keyUsage) continue
    const inner = parseInner(expectUniversal(value, UNIVERSAL_TYPE.OCTET_STRING, 'extnValue'))
    if (id === OID.subjectKeyIdentifier) {
      subjectKeyIdentifier = contentOctets(expectUniversal(inner, UNIVERSAL_TYPE.OCTET_STRING, 'subjectKeyIdentifier'), 'subjectKeyIdentifier')
    } else {
      const bits = contentOctets(expectUniversal(inner, UNIVERSAL_TYPE.BIT_STRING, 'keyUsage'), 'keyUsage', UNIVERSAL_TYPE.BIT_STRING)
      keyUsage = bits[1] ?? 0 // bits[0] is the number of unused bits
    }
  }
  return { issuerAndSerialNumber: sequence(encode(issuer), encode(serial)), subjectKeyIdentifier, keyUsage }
}

function parseInner (octets: Asn1Node): Asn1Node {
  const { node, trailing } = parseBer(contentOctets(octets, 'extnValue'), 'extnValue')
  if (trailing.byteLength !== 0) throw new Asn1ShapeError('extnValue has trailing bytes')
  return node
}

/**
 * A private key from PEM text (PKCS#8 or PKCS#1, unencrypted). With `certificate`, the key
 * must be the certificate's.
 */
export function privateKeyFromPem (pem: string | Uint8Array, certificate?: RecipientCertificate, source = 'private key'): RecipientKey {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem.buffer, pem.byteOffset, pem.byteLength)
  // Bytes are searched as bytes: no string copy of the key is made that could not be zeroed.
  if (ENCRYPTED_PEM_MARKERS.some((marker) => (typeof text === 'string' ? text.includes(marker) : text.includes(marker)))) {
    throw invalid(`${source} is encrypted with a passphrase; dicomgate reads unencrypted PEM protected by mode 0600 (\`openssl pkey -in FILE -out NEW\` removes the passphrase)`)
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' })
  } catch (err) {
    throw invalid(`${source} is not a private key in PEM`, err)
  }
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw invalid(`${source} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key; RSA key transport needs an RSA key (PS3.15 E.1.1)`)
  }
  const modulusBits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0
  if (certificate !== undefined) {
    const spki = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' })
    if (!spki(createPublicKey(privateKey)).equals(spki(certificate.publicKey))) {
      throw invalid(`${source} does not belong to the certificate given with it`)
    }
  }
  return Object.freeze({ privateKey, modulusBytes: Math.ceil(modulusBits / 8), certificate })
}

/** Reads a certificate file (PEM or DER). */
export async function loadCertificate (path: string): Promise<RecipientCertificate> {
  return certificateFromPem(await readKeyFile(path, 'certificate'), `certificate file ${path}`)
}

/**
 * Reads a private key file; refuses it when group or others may read or write it (POSIX).
 * With `certificate`, the key must be the certificate's.
 */
export async function loadPrivateKey (path: string, certificate?: RecipientCertificate): Promise<RecipientKey> {
  const bytes = await readKeyFile(path, 'private key')
  try {
    return privateKeyFromPem(bytes, certificate, `private key file ${path}`)
  } finally {
    bytes.fill(0)
  }
}

/**
 * Reads a whole small regular file. A private key file is refused, before it is read, when
 * its mode (of the open file, so that nothing can swap it in between) lets group or others
 * read or write it.
 */
async function readKeyFile (path: string, kind: 'certificate' | 'private key'): Promise<Buffer> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY)
  } catch (err) {
    const missing = typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT'
    throw invalid(`${kind} file ${path} ${missing ? 'does not exist' : 'cannot be opened'}`, err)
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw invalid(`${kind} file ${path} is not a regular file`)
    if (kind === 'private key' && CHECKS_MODE && (stats.mode & GROUP_OTHER_BITS) !== 0) {
      const octal = (stats.mode & 0o777).toString(8).padStart(4, '0')
      throw invalid(`private key file ${path} is readable or writable by group or others (mode ${octal}); run \`chmod 600 ${path}\``)
    }
    if (stats.size > MAX_KEY_FILE_BYTES) throw invalid(`${kind} file ${path} has more than ${MAX_KEY_FILE_BYTES} bytes; is it the right file?`)
    const bytes = await handle.readFile()
    if (bytes.byteLength > MAX_KEY_FILE_BYTES) {
      bytes.fill(0)
      throw invalid(`${kind} file ${path} has more than ${MAX_KEY_FILE_BYTES} bytes; is it the right file?`)
    }
    return bytes
  } catch (err) {
    if (err instanceof DicomgateError) throw err
    throw invalid(`${kind} file ${path} cannot be read`, err)
  } finally {
    await handle.close()
  }
}
