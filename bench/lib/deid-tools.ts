/**
 * The de-identification suite's tools: what each needs made at bench time (gdcmanon's
 * throwaway certificate, dicomgate's secret file), whether it can run here, and its
 * command line.
 */

import { randomBytes } from 'node:crypto'
import { accessSync, constants, existsSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { basename, delimiter, join } from 'node:path'

import { GNU_TIME } from './measure-command.js'
import { REPO_ROOT, runProcess } from './measure.js'
import { missingDeidLibrary } from './dicomgate-deid.js'
import type { BenchData } from './generate.js'
import type { CommandTool, InputSet, Tool } from './plan.js'
import type { DumpTag } from './verify-deid.js'

export const PROFILE = 'basic'
/** At least 32 bytes (DG_SECRET_INVALID below that); the size dicomgate itself creates. */
const SECRET_BYTES = 32
const SECRET_FILE_MODE = 0o600
const CLI_SOURCE = 'src/cli/deid.ts'
const CLI_BIN = join(REPO_ROOT, 'bin', 'dicomgate.js')
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

export interface DeidFiles {
  /** gdcmanon's recipient certificate (its key is not needed to de-identify). */
  readonly certificate: string
  readonly secretFile: string
}

function onPath (program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK)
      return true
    } catch {
      return false
    }
  })
}

/** A fresh throwaway certificate and secret for each benchmark run, in bench/.data. */
export async function makeDeidFiles (dataDir: string): Promise<DeidFiles> {
  const certificate = join(dataDir, 'gdcmanon-cert.pem')
  const secretFile = join(dataDir, 'dicomgate-secret')
  if (onPath('openssl')) {
    const { code, stderr } = await runProcess('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=dicomgate-bench',
      '-keyout', join(dataDir, 'gdcmanon-key.pem'), '-out', certificate
    ])
    if (code !== 0) throw new Error(`openssl could not make gdcmanon's certificate: ${stderr.trim()}`)
  }
  // Mode 0600 applies only when the file is created: remove it first.
  await rm(secretFile, { force: true })
  await writeFile(secretFile, randomBytes(SECRET_BYTES), { mode: SECRET_FILE_MODE })
  return { certificate, secretFile }
}

/**
 * Builds dist/ (`npm run build`'s compiler call), which bin/dicomgate.js runs, and asks the
 * CLI for `deid --help`; the reason it cannot run, or undefined.
 */
async function cliUnavailable (): Promise<string | undefined> {
  if (!existsSync(join(REPO_ROOT, CLI_SOURCE))) return `not written yet (${CLI_SOURCE} is not in this tree)`
  const build = await runProcess(process.execPath, [TSC, '-p', 'tsconfig.build.json'])
  if (build.code !== 0) return `npm run build failed: ${(build.stdout.split('\n')[0] ?? '').trim()}`
  const help = await runProcess(process.execPath, [CLI_BIN, 'deid', '--help'])
  return help.code === 0 ? undefined : `\`dicomgate deid --help\` exited ${help.code ?? 'by signal'}`
}

/** Why each tool cannot run here; tools not in the result can. */
export async function unavailableTools (files: DeidFiles): Promise<Partial<Record<Tool, string>>> {
  const reasons: Partial<Record<Tool, string>> = {}
  const noTime = existsSync(GNU_TIME) ? undefined : `${GNU_TIME} not found (Debian package time)`
  if (!onPath('gdcmanon')) reasons.gdcmanon = 'gdcmanon not found (Debian package libgdcm-tools)'
  else if (!existsSync(files.certificate)) reasons.gdcmanon = 'no certificate for gdcmanon -e (openssl not found)'
  else if (noTime !== undefined) reasons.gdcmanon = noTime
  const missing = missingDeidLibrary(REPO_ROOT)
  if (missing.length > 0) reasons['dicomgate-deid'] = `not written yet (${missing.join(', ')} not in this tree)`
  const cli = noTime ?? await cliUnavailable()
  if (cli !== undefined) reasons['dicomgate-cli'] = cli
  return reasons
}

/**
 * The command line of a command workload, as a user would type it; `store` is the --store
 * argument of the store suite's rows (a SQLite path or a postgres:// URL).
 */
export function commandLine (tool: CommandTool, set: InputSet, data: BenchData, outDir: string, files: DeidFiles, store?: string): [string, ...string[]] {
  // The folder of small files holds exactly the inputs (generate.ts): the tools get the folder.
  const input = set === 'big' ? data.bigFile : data.smallDir
  switch (tool) {
    case 'gdcmanon':
      // A file in, a file out (gdcmanon aborts when -o names a folder for a file); a folder
      // in, a folder out. No --continue: a file it cannot read must stop it, not go unseen.
      return ['gdcmanon', '-e', '-c', files.certificate, '-i', input, '-o', set === 'big' ? join(outDir, basename(input)) : outDir]
    case 'dicomgate-cli':
    case 'dicomgate-cli-sqlite':
    case 'dicomgate-cli-postgres': {
      const argv: [string, ...string[]] = [process.execPath, CLI_BIN, 'deid', input, '--out', outDir, '--profile', PROFILE, '--secret-file', files.secretFile]
      if (tool === 'dicomgate-cli') return argv
      if (store === undefined) throw new Error(`${tool} needs the --store argument`)
      return [...argv, '--store', store]
    }
  }
}

/** What each tool's output must hold beyond the common checks (verify-deid.ts). */
export function requiredTags (tool: Tool): readonly DumpTag[] {
  // gdcmanon -e: the Encrypted Attributes Sequence (PS3.15 §E.1.1), proof that it encrypted.
  if (tool === 'gdcmanon') return ['(0400,0500)']
  // Issue 3's markers: Patient Identity Removed = YES on every output.
  if (tool.startsWith('dicomgate')) return ['(0012,0062)']
  return []
}
