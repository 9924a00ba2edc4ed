/**
 * A throwaway PostgreSQL server for the store tests, from Debian's postgresql package
 * (/usr/lib/postgresql/<version>/bin): initdb into a temporary folder, started on
 * 127.0.0.1 on a free port with its socket in the same folder, stopped and removed by
 * stop(). When no PostgreSQL is installed, the tests skip with a visible note, as the
 * corpus tests do without the corpus (CI installs it: .ci/run).
 *
 * PostgreSQL refuses to run as root: as root (here and in CI), initdb and the server run as
 * the `postgres` system user (created by the Debian package) through `runuser`, and the
 * temporary folder is given to that user.
 */
import { execFile } from 'node:child_process'
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

const POSTGRES_ROOT = '/usr/lib/postgresql'
const SUPERUSER = 'dicomgate'
const START_ATTEMPTS = 5
const COMMAND_TIMEOUT_MS = 120_000

/** The bin folder of the newest installed major version that has initdb and pg_ctl. */
function findBinDir (): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined
  const versions = readdirSync(POSTGRES_ROOT).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
  return versions.map((v) => join(POSTGRES_ROOT, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl')))
}

/** uid and gid of the `postgres` system user, from /etc/passwd. */
function postgresUser (): { uid: number, gid: number } | undefined {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))
    const [, , uid, gid] = line?.split(':') ?? []
    return uid === undefined || gid === undefined ? undefined : { uid: Number(uid), gid: Number(gid) }
  } catch {
    return undefined
  }
}

const binDir = findBinDir()
const asRoot = process.getuid?.() === 0
const runAs = asRoot ? postgresUser() : undefined

/** The `skip` option for tap: false when a server can be started, else the note tap prints. */
export const postgresSkip: false | string =
  binDir === undefined
    ? 'PostgreSQL not found (apt-get install postgresql); postgres store tests skipped'
    : asRoot && (runAs === undefined || !existsSync('/usr/sbin/runuser'))
      ? 'running as root without a postgres system user or runuser: PostgreSQL cannot start; postgres store tests skipped'
      : false

export interface PostgresServer {
  readonly port: number
  /** The connection string of `database` on this server. */
  connectionString (database?: string): string
  /** Creates a new empty database and returns its connection string. */
  createDatabase (): Promise<string>
  /** Stops the server (fast shutdown) and removes its folder. */
  stop (): Promise<void>
}

function run (command: string, args: readonly string[], cwd: string): Promise<{ code: number, output: string }> {
  const program = join(binDir ?? '', command)
  const [file, argv] = runAs === undefined ? [program, args] : ['/usr/sbin/runuser', ['-u', 'postgres', '--', program, ...args]]
  return new Promise((resolve) => {
    execFile(file, argv, { cwd, timeout: COMMAND_TIMEOUT_MS }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, output: `${stdout}${stderr}` })
    })
  })
}

/** A port that was free a moment ago: PostgreSQL cannot listen on port 0 itself. */
function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => { resolve(port) })
    })
  })
}

export interface StartOptions {
  /**
   * Keep PostgreSQL's defaults for durability (fsync, synchronous_commit, full_page_writes
   * on): what a deployment runs with, for benchmarks. Off by default: tests need no durability.
   */
  readonly durable?: boolean
}

export async function startPostgres (options: StartOptions = {}): Promise<PostgresServer> {
  if (postgresSkip !== false) throw new Error(postgresSkip)
  const dir = mkdtempSync(join(tmpdir(), 'dicomgate-pg-'))
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  let started = false
  const remove = (): void => { rmSync(dir, { recursive: true, force: true }) }
  try {
    mkdirSync(data, { mode: 0o700 })
    if (runAs !== undefined) {
      chownSync(dir, runAs.uid, runAs.gid)
      chownSync(data, runAs.uid, runAs.gid)
    }
    const init = await run('initdb', ['-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'], dir)
    if (init.code !== 0) throw new Error(`initdb failed:\n${init.output}`)
    // TCP on loopback only, the socket in our own folder; throwaway test data: no fsync.
    const settings = ["listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'shared_buffers = 32MB']
    if (options.durable !== true) settings.push('fsync = off', 'synchronous_commit = off', 'full_page_writes = off')
    appendFileSync(join(data, 'postgresql.conf'), ['', ...settings, ''].join('\n'))
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const start = await run('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', '-o', `-p ${port}`, 'start'], dir)
      if (start.code === 0) {
        started = true
        return server(port, data, dir, remove)
      }
      const text = existsSync(log) ? readFileSync(log, 'utf8') : ''
      // Another process took the port between freePort() and the server's bind: try another.
      if (attempt < START_ATTEMPTS && /could not bind|already in use/i.test(text)) continue
      throw new Error(`pg_ctl start failed:\n${start.output}\n${text}`)
    }
  } finally {
    if (!started) remove()
  }
}

function server (port: number, data: string, dir: string, remove: () => void): PostgresServer {
  let databases = 0
  const connectionString = (database = 'postgres'): string => `postgresql://${SUPERUSER}@127.0.0.1:${port}/${database}`
  return {
    port,
    connectionString,
    async createDatabase () {
      const name = `store_${++databases}`
      const client = new pg.Client({ connectionString: connectionString() })
      await client.connect()
      try {
        await client.query(`CREATE DATABASE ${name}`)
      } finally {
        await client.end()
      }
      return connectionString(name)
    },
    async stop () {
      try {
        const stop = await run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], dir)
        if (stop.code !== 0) {
          // Last resort, so that no server outlives the tests: SIGQUIT is an immediate shutdown.
          const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
          if (Number.isSafeInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT')
        }
      } finally {
        remove()
      }
    }
  }
}
