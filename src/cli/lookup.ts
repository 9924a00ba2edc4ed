/**
 * `dicomgate lookup PSEUDONYM...`: the original value behind a pseudonym (a `2.25.` UID,
 * a pseudonymized Patient ID, ...), from the mapping store (docs/store.md).
 *
 * Re-identifying a subject is a deliberate act: every lookup is written to the audit log
 * (who, when, which pseudonym, found or not; never the original) before any answer is
 * printed, and when the audit log cannot be written nothing is printed. An argument that
 * is not a recorded pseudonym may be an original typed by mistake: it is neither logged
 * (even a hash of a short ID can be reversed by trying them all) nor echoed, only counted.
 */
import type { Writable } from 'node:stream'
import { AuditLog, DEFAULT_AUDIT_FILE, localSubject } from '../audit/log.js'
import { UsageError } from '../errors.js'
import { EXIT_FAILURE, EXIT_OK, parseCommandLine } from './common.js'
import type { CliIO, Command } from './main.js'
import { DEFAULT_STORE_PATH, parseStoreOption } from './store-option.js'

const HELP = `Usage: dicomgate lookup PSEUDONYM... [--store S] [--secret-file F]
                        [--audit FILE] [--json]

Prints the original value behind each pseudonym (a replaced UID, a pseudonymized
Patient ID or accession number), from the mapping store that \`dicomgate deid
--store\` and the gateway record into. This re-identifies a subject: each
lookup is written to the audit log first (who, when, which pseudonym, found or
not; never the original).

Options:
  --store S            the mapping store: a SQLite file, or a postgres:// URL
                       (default: ${DEFAULT_STORE_PATH})
  --secret-file F      the pseudonymization secret the store was written with
                       (default: $DICOMGATE_SECRET_FILE, else
                       ~/.config/dicomgate/secret)
  --audit FILE         the audit log, JSON Lines (default: ${DEFAULT_AUDIT_FILE})
  --json               one JSON object per line instead of tab-separated text
  -h, --help           show this help

Output: one line per pseudonym: PSEUDONYM, KIND (the attribute's keyword),
ORIGINAL and KEY-ID (which secret made it), separated by tabs.

Exit status: 0 every pseudonym found; 1 any not found, or the store or the
audit log failed (error code on stderr); 2 usage error.
`

export const lookupCommand: Command = { help: HELP, run }

async function run (args: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandLine('lookup', args, {
      store: { type: 'string' },
      'secret-file': { type: 'string' },
      audit: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false }
    })
  if (values.help) {
    await write(io.stdout, HELP)
    return EXIT_OK
  }
  if (positionals.length === 0) throw new UsageError('lookup needs at least one PSEUDONYM')
  const config = parseStoreOption(values.store ?? DEFAULT_STORE_PATH)

  const [{ openStore }, { defaultSecretPath, loadSecret }] = await Promise.all([import('../store/index.js'), import('../pseudonym/secret.js')])
  const secret = await loadSecret(values['secret-file'] ?? defaultSecretPath())
  const audit = new AuditLog(values.audit ?? DEFAULT_AUDIT_FILE)
  const subject = localSubject()
  const store = await openStore(config, secret)
  let missing = 0
  try {
    for (const [index, pseudonym] of positionals.entries()) {
      const mapping = await store.lookup(pseudonym)
      if (mapping === undefined) {
        await audit.write({ action: 'lookup', subject, outcome: 'not-found' })
        missing++
        await write(io.stderr, `dicomgate lookup: argument ${index + 1} is not a recorded pseudonym\n`)
        continue
      }
      await audit.write({ action: 'lookup', subject, outcome: 'ok', details: { pseudonym, kind: mapping.kind, keyId: mapping.keyId } })
      await write(io.stdout, values.json
        ? `${JSON.stringify(mapping)}\n`
        : `${mapping.pseudonym}\t${mapping.kind}\t${mapping.original}\t${mapping.keyId}\n`)
    }
  } finally {
    await store.close()
  }
  return missing === 0 ? EXIT_OK : EXIT_FAILURE
}

async function write (stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise((resolve) => stream.once('drain', resolve))
}
