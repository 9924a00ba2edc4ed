/**
 * RSA key transport of the content-encryption key: rsaEncryption, i.e. RSAES-PKCS1-v1_5
 * (RFC 3370 §4.2.1, RFC 8017 §7.2). PS3.15 E.1.1 names it ("RSA [RFC 2313] for the key
 * transport"), and it is what gdcmanon and `openssl cms -encrypt` use by default, so it is
 * what every re-identifier can read.
 *
 * Wrapping is Node's publicEncrypt. Unwrapping cannot be Node's privateDecrypt with
 * PKCS#1 v1.5 padding: Node refuses it (CVE-2023-46809, the Marvin attack) unless its
 * OpenSSL has implicit rejection. So the RSA operation is OpenSSL's, raw (RSA_NO_PADDING,
 * blinded), and the padding is checked here with the countermeasure of RFC 3218 §2.3.2
 * against Bleichenbacher's attack: whatever the padding, a key of the expected length comes
 * out; when the padding is wrong it is a random one, so the failure surfaces later as a
 * content that does not decrypt, never as a distinct error about the key. The check avoids
 * branching on secret bytes, though JavaScript gives no constant-time guarantee.
 */
import { Buffer } from 'node:buffer'
import { constants, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto'

/** PKCS#1 v1.5 padding: 0x00 0x02, at least 8 non-zero bytes, 0x00 (RFC 8017 §7.2.1). */
const MIN_PADDING_BYTES = 11

/** Encrypts the content-encryption key to one recipient's RSA public key. */
export function wrapKey (publicKey: KeyObject, contentKey: Uint8Array): Uint8Array {
  return new Uint8Array(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, contentKey))
}

export interface UnwrappedKey {
  /** The content-encryption key: the real one when `valid`, otherwise random bytes. */
  readonly key: Uint8Array
  /** Whether the padding was right and held a key of the expected length. */
  readonly valid: boolean
}

/**
 * Decrypts an encryptedKey with the recipient's private key; `keyLength` is the key length
 * of the content cipher, which the padding must frame exactly (RFC 3218 §2.3.2 step 2).
 */
export function unwrapKey (privateKey: KeyObject, modulusBytes: number, encryptedKey: Uint8Array, keyLength: number): UnwrappedKey {
  const substitute = randomBytes(keyLength)
  const separator = modulusBytes - keyLength - 1
  // Lengths are public: a ciphertext of the wrong length, or a key that cannot fit, is
  // simply not valid (and still yields a random key).
  if (encryptedKey.byteLength !== modulusBytes || separator < MIN_PADDING_BYTES - 1) {
    return { key: new Uint8Array(substitute), valid: false }
  }
  let message: Buffer
  try {
    message = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encryptedKey)
  } catch {
    // A ciphertext not below the modulus: public information, treated like bad padding.
    message = Buffer.alloc(modulusBytes)
  }
  // bad stays 0 only if: byte 0 is 0x00, byte 1 is 0x02, bytes 2..separator-1 are non-zero,
  // and the byte at `separator` is 0x00.
  let bad = (message[0] ?? 1) | ((message[1] ?? 0) ^ 0x02) | (message[separator] ?? 1)
  for (let i = 2; i < separator; i++) bad |= ((message[i] ?? 0) - 1) >>> 31
  const valid = ((bad - 1) >>> 31) & 1 // 1 when bad === 0, without a branch
  const mask = -valid & 0xff
  const key = new Uint8Array(keyLength)
  for (let i = 0; i < keyLength; i++) {
    key[i] = ((message[separator + 1 + i] ?? 0) & mask) | ((substitute[i] ?? 0) & ~mask & 0xff)
  }
  message.fill(0)
  substitute.fill(0)
  return { key, valid: valid === 1 }
}
