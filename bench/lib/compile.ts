/**
 * Transpiles the codec and the workload child to plain JavaScript before measuring.
 *
 * Why: under `node --import tsx` every process carries the loader (about 40 MB of RSS,
 * measured here) and compiles on load; the codec ships compiled, and the RSS target is
 * about the codec, not the loader. So children run plain `node` on this output. Type
 * checking stays with `tsc --noEmit`; this is TypeScript's per-file transpile, the same
 * transformation tsc applies to emit, with the repository's layout kept so that relative
 * imports resolve unchanged.
 *
 * Where: node_modules/.cache/dicomgate-bench, the usual place for a tool's cache. Not under
 * bench/: `eslint .` would lint the emitted JavaScript. Inside node_modules, Node resolves
 * packages (dcmjs) from the repository's node_modules by walking up, but stops looking for
 * the "type" of a package.json at a node_modules boundary, hence the package.json below.
 */

import { existsSync } from 'node:fs'
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import ts from 'typescript'

/** The trees the child imports from. */
const SOURCE_TREES = ['src', join('bench', 'lib')] as const
/**
 * Data the code reads relative to its own location (`new URL('../../../profiles/',
 * import.meta.url)`): linked, not copied, beside the transpiled src/.
 */
const DATA_TREES = ['profiles'] as const

/** TypeScript sources to transpile, and JSON files to copy (modules may import JSON). */
async function sourceFiles (dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...await sourceFiles(path))
    else if ((entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) || entry.name.endsWith('.json')) found.push(path)
  }
  return found
}

/** Returns the path of the compiled workload child. */
export function benchBuildDir (repoRoot: string): string {
  return join(repoRoot, 'node_modules', '.cache', 'dicomgate-bench')
}

export async function compileForBench (repoRoot: string, outDir: string): Promise<string> {
  await rm(outDir, { recursive: true, force: true })
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`)
  const compilerOptions: ts.CompilerOptions = {
    // The repository's tsconfig targets ES2023 with ES modules ("type": "module").
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    sourceMap: false
  }
  for (const tree of SOURCE_TREES) {
    for (const file of await sourceFiles(join(repoRoot, tree))) {
      const target = join(outDir, relative(repoRoot, file)).replace(/\.ts$/, '.js')
      await mkdir(dirname(target), { recursive: true })
      if (file.endsWith('.json')) {
        await copyFile(file, target)
        continue
      }
      const { outputText, diagnostics } = ts.transpileModule(await readFile(file, 'utf8'), { compilerOptions, fileName: file, reportDiagnostics: true })
      if (diagnostics !== undefined && diagnostics.length > 0) {
        throw new Error(`cannot transpile ${file}: ${ts.flattenDiagnosticMessageText(diagnostics[0]?.messageText ?? '', '\n')}`)
      }
      await writeFile(target, outputText)
    }
  }
  for (const tree of DATA_TREES) {
    if (existsSync(join(repoRoot, tree))) await symlink(join(repoRoot, tree), join(outDir, tree), 'dir')
  }
  return join(outDir, 'bench', 'lib', 'workload-child.js')
}
