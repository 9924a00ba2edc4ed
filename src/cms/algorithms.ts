/**
 * The object identifiers and algorithms of dicomgate's CMS (RFC 5652) and what each means
 * for Node's crypto.
 *
 * PS3.15 E.1.1 (item 4) fixes the choices for the Encrypted Attributes Sequence: RSA key
 * transport [RFC 3370 §4.2.1, i.e. RSAES-PKCS1-v1_5], and content encryption with AES in
 * any key length [RFC 3565] or Triple-DES [RFC 3370 §5.1]; a re-identifier must decrypt
 * all of them (E.1.2). dicomgate writes AES-CBC and reads all four.
 */

export const OID = {
  /** id-data (RFC 5652 §4): the encrypted content is an opaque octet string. */
  data: '1.2.840.113549.1.7.1',
  /** id-envelopedData (RFC 5652 §6). */
  envelopedData: '1.2.840.113549.1.7.3',
  /** rsaEncryption (RFC 3370 §4.2.1): RSAES-PKCS1-v1_5 key transport. */
  rsaEncryption: '1.2.840.113549.1.1.1',
  /** id-RSAES-OAEP (RFC 3560): recognised only to name it in a message. */
  rsaesOaep: '1.2.840.113549.1.1.7',
  /** X.509 extensions (RFC 5280 §4.2.1.2, §4.2.1.3). */
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15'
} as const

/** Content-encryption ciphers dicomgate writes (the `cipher` option of encryptEnveloped). */
export type ContentCipherName = 'aes-256-cbc' | 'aes-128-cbc'

export interface ContentCipher {
  /** Node's (OpenSSL's) cipher name. */
  readonly name: string
  readonly oid: string
  readonly keyLength: number
  readonly ivLength: number
}

/**
 * The content ciphers dicomgate reads. AES: RFC 3565 §4.1 (parameters: the 16-byte IV).
 * Triple-DES: RFC 3370 §5.1 (parameters: the 8-byte IV); gdcmanon writes it with `--des3`.
 */
const CIPHERS: readonly ContentCipher[] = [
  { name: 'aes-128-cbc', oid: '2.16.840.1.101.3.4.1.2', keyLength: 16, ivLength: 16 },
  { name: 'aes-192-cbc', oid: '2.16.840.1.101.3.4.1.22', keyLength: 24, ivLength: 16 },
  { name: 'aes-256-cbc', oid: '2.16.840.1.101.3.4.1.42', keyLength: 32, ivLength: 16 },
  { name: 'des-ede3-cbc', oid: '1.2.840.113549.3.7', keyLength: 24, ivLength: 8 }
].map((c) => Object.freeze(c))

export const CONTENT_CIPHERS: ReadonlyMap<string, ContentCipher> = new Map(CIPHERS.map((c) => [c.oid, c]))

const BY_NAME: ReadonlyMap<string, ContentCipher> = new Map(CIPHERS.map((c) => [c.name, c]))

/** The ciphers encryptEnveloped writes: AES only (Triple-DES is read, never written). */
export const WRITABLE_CIPHERS: readonly ContentCipherName[] = ['aes-256-cbc', 'aes-128-cbc']

/** The cipher of that name when encryptEnveloped may write it (callers in JavaScript may pass anything). */
export function writableCipher (name: unknown): ContentCipher | undefined {
  return WRITABLE_CIPHERS.some((n) => n === name) ? BY_NAME.get(name as string) : undefined
}
