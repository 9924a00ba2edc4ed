#!/usr/bin/env node
// The published entry point: runs the compiled CLI (dist/ is built by `npm ci` via `prepare`).
import { main } from '../dist/cli/main.js'

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (err) => {
    // main() reports its own errors; this is the last resort and prints no payload data.
    process.stderr.write(`dicomgate: internal error: ${err && err.code ? err.code : 'unexpected'}\n`)
    process.exitCode = 70
  }
)
