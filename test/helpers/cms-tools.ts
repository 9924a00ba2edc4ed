/**
 * Real ciphers for the Encrypted Attributes tests, both injected the same way: dicomgate's
 * CMS module (src/cms/) and, as an independent check, OpenSSL's `cms` command (RFC 5652
 * EnvelopedData, what GDCM writes). A recipient key and self-signed certificate are made per
 * test by `openssl req` in a temporary folder. Also GDCM's gdcmanon. Missing tools make the
 * tests that need them skip with a visible note.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { decryptEnveloped, encryptEnveloped } from '../../src/cms/enveloped.js'
import { certificateFromPem, privateKeyFromPem } from '../../src/cms/keys.js'
import { DicomgateError } from '../../src/errors.js'

function runs (command: string, args: readonly string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0
}

export const hasOpenssl = runs('openssl', ['version'])
export const hasGdcmanon = runs('gdcmanon', ['--version'])

export const opensslSkip: false | string = hasOpenssl ? false : 'openssl not found: Encrypted Attributes tests need `openssl cms`; skipped'
export const gdcmanonSkip: false | string = hasOpenssl && hasGdcmanon ? false : 'gdcmanon (GDCM) or openssl not found: GDCM interoperability tests skipped'

export interface Cipher {
  /** Encrypts for the recipient: DER ContentInfo (EnvelopedData) out. */
  readonly encrypt: (content: Uint8Array) => Uint8Array
  /** Decrypts with the recipient's key; DG_CMS_NO_RECIPIENT or DG_CMS_INVALID on failure. */
  readonly decrypt: (der: Uint8Array) => Uint8Array
}

export interface Recipient extends Cipher {
  /** Path of the PEM private key (unencrypted, mode 0600). */
  readonly key: string
  /** Path of the PEM self-signed certificate. */
  readonly cert: string
  // encrypt and decrypt: dicomgate's CMS module (encryptEnveloped; decryptEnveloped with the
  // key alone, as `dicomgate reidentify --key` and gdcmanon -d decrypt).
  /**
   * `openssl cms -encrypt` (AES-256-CBC, RSA key transport) and `openssl cms -decrypt`.
   * OpenSSL's exit status 4 (no RecipientInfo opened with the key) is DG_CMS_NO_RECIPIENT;
   * any other failure (2: not a ContentInfo) is DG_CMS_INVALID.
   */
  readonly openssl: Cipher
}

/** An RSA-2048 key and certificate in a temporary folder removed after the test. */
export function makeRecipient (t: Test, name = 'recipient'): Recipient {
  const dir = mkdtempSync(join(tmpdir(), 'dicomgate-cms-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const key = join(dir, `${name}.key.pem`)
  const cert = join(dir, `${name}.cert.pem`)
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-days', '2'], { stdio: ['ignore', 'ignore', 'pipe'] })
  if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr.toString()}`)
  chmodSync(key, 0o600) // as dicomgate requires of a private key file
  const certificate = certificateFromPem(readFileSync(cert))
  const privateKey = privateKeyFromPem(readFileSync(key))
  const openssl: Cipher = {
    encrypt: (content) => {
      const r = spawnSync('openssl', ['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes256', cert], { input: content, maxBuffer: 1 << 30 })
      if (r.status !== 0) throw new Error(`openssl cms -encrypt failed: ${r.stderr.toString()}`)
      return r.stdout
    },
    decrypt: (der) => {
      const r = spawnSync('openssl', ['cms', '-decrypt', '-binary', '-inform', 'DER', '-inkey', key], { input: der, maxBuffer: 1 << 30 })
      if (r.status === 0) return r.stdout
      throw new DicomgateError(r.status === 4 ? 'DG_CMS_NO_RECIPIENT' : 'DG_CMS_INVALID', `openssl cms -decrypt exited with ${String(r.status)}`)
    }
  }
  return {
    key,
    cert,
    encrypt: (content) => encryptEnveloped(content, [certificate]),
    decrypt: (der) => decryptEnveloped(der, privateKey),
    openssl
  }
}

/** Runs gdcmanon; throws with its stderr when it fails. */
export function gdcmanon (args: readonly string[]): void {
  const r = spawnSync('gdcmanon', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0) throw new Error(`gdcmanon ${args.join(' ')} exited with ${String(r.status)}: ${r.stderr.toString()}`)
}
