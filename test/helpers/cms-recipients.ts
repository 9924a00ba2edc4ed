/**
 * Recipients made for the CMS tests (test/cms/): a fresh RSA key pair and self-signed
 * certificate (never a checked-in private key), written into the test's own folder, which
 * tap removes afterwards.
 */
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { certificateFromPem, privateKeyFromPem, type RecipientCertificate, type RecipientKey } from '../../src/cms/keys.js'
import { createRecipient } from '../../src/cms/recipient.js'
import { hasCommand } from './deid-corpus-tools.js'

export const OPENSSL_SKIP = hasCommand('openssl') ? false : 'openssl is not installed (CI installs it)'
export const GDCMANON_SKIP = hasCommand('gdcmanon') ? false : 'gdcmanon is not installed (CI installs libgdcm-tools)'

export interface TestRecipient {
  readonly keyPath: string
  readonly certificatePath: string
  readonly certificate: RecipientCertificate
  /** The private key with its certificate: recipients matched by identifier. */
  readonly key: RecipientKey
  /** The private key alone: recipients tried by key size. */
  readonly keyOnly: RecipientKey
}

/** 2048 bits: the smallest size dicomgate encrypts to, and quick to generate. */
export async function makeRecipient (dir: string, name: string, commonName = `dicomgate test ${name}`): Promise<TestRecipient> {
  const made = await createRecipient({ modulusBits: 2048, commonName })
  const keyPath = join(dir, `${name}.key`)
  const certificatePath = join(dir, `${name}.crt`)
  writeFileSync(keyPath, made.privateKeyPem, { mode: 0o600 })
  chmodSync(keyPath, 0o600)
  writeFileSync(certificatePath, made.certificatePem)
  const certificate = certificateFromPem(made.certificatePem)
  return {
    keyPath,
    certificatePath,
    certificate,
    key: privateKeyFromPem(made.privateKeyPem, certificate),
    keyOnly: privateKeyFromPem(made.privateKeyPem)
  }
}
