/**
 * Checks a parsed profile file against profiles/profile.schema.json (JSON Schema draft-07,
 * validated by ajv, as fastify validates its configuration) and turns the first problem
 * into a message that names the file, the JSON path and what to do. The compiler then checks
 * what a schema cannot: that keywords, SOP classes and formats exist and fit.
 */
import { fileURLToPath } from 'node:url'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { didYouMean, invalid, pathOf, quote } from './messages.js'
import { validate as generatedValidator } from './schema-validator.generated.js'
import type { ProfileSource } from './types.js'

/** profiles/profile.schema.json, from src/deid/profile/ and from dist/deid/profile/ alike. */
export const PROFILE_SCHEMA_PATH: string = fileURLToPath(new URL('../../../profiles/profile.schema.json', import.meta.url))

/**
 * The schema's validator, generated as code by scripts/generate-profile-validator.ts (Ajv
 * standalone, allErrors and verbose: errors carry the schema and data they are about, for
 * the messages below): start-up neither loads Ajv nor compiles the schema.
 */
const compiledSchema = (): ValidateFunction<ProfileSource> => generatedValidator as ValidateFunction<ProfileSource>

/** The selectors of a rule, as messages list them. */
const SELECTORS = 'keyword, tag, tagPattern, privateCreator (with group and element) or vr'

/** What a field's pattern asks for, in words. */
const PATTERN_HINTS: Readonly<Record<string, string>> = {
  name: 'is not a profile name (letters, digits, ".", "_", "-")',
  keyword: 'is not a DICOM keyword (letters and digits, e.g. "PatientName")',
  tag: 'is not a tag: write it as "(0010,0010)" or "00100010"',
  tagPattern: 'is not a tag pattern: eight hex digits where x is any digit, e.g. "(60xx,3000)"',
  group: 'is not a group: four hex digits, e.g. "0019"',
  element: 'is not an element: the two hex digits ee of (gggg,xxee), e.g. "10"'
}

/** Ajv reports a oneOf failure together with each branch's own complaint; those say little. */
function inOneOfBranch (error: ErrorObject): boolean {
  return error.schemaPath.includes('/oneOf/')
}

function allowedProperties (error: ErrorObject): string[] {
  const schema: unknown = error.parentSchema
  if (typeof schema !== 'object' || schema === null || !('properties' in schema)) return []
  const properties: unknown = schema.properties
  return typeof properties === 'object' && properties !== null ? Object.keys(properties) : []
}

function describe (error: ErrorObject): { path: string, detail: string } {
  const path = pathOf(error.instancePath)
  const field = path.split(/[.[]/).pop() ?? ''
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = String(error.params.additionalProperty)
      const allowed = allowedProperties(error)
      const at = path === '' ? extra : `${path}.${extra}`
      return { path: at, detail: `is not a field here${didYouMean(extra, allowed) || ` (allowed: ${allowed.join(', ')})`}` }
    }
    case 'required':
      return { path, detail: `needs "${String(error.params.missingProperty)}"` }
    case 'oneOf':
      return { path, detail: `must select attributes by exactly one of ${SELECTORS}` }
    case 'enum': {
      const allowed = Array.isArray(error.params.allowedValues) ? error.params.allowedValues.map(String) : []
      const value = String(error.data)
      const hint = didYouMean(value, allowed)
      return { path, detail: `${quote(error.data)} is not one of the allowed values${hint || `: ${allowed.join(', ')}`}` }
    }
    case 'pattern':
      return { path, detail: `${quote(error.data)} ${PATTERN_HINTS[field] ?? `does not match ${String(error.params.pattern)}`}` }
    case 'type':
      return { path, detail: `must be ${error.params.type === 'integer' ? 'an integer' : `of type ${String(error.params.type)}`}` }
    case 'minimum':
    case 'maximum':
      return { path, detail: `${quote(error.data)} must be ${String(error.params.comparison)} ${String(error.params.limit)}` }
    case 'uniqueItems':
      return { path, detail: `lists an item twice (items ${String(error.params.j)} and ${String(error.params.i)})` }
    default:
      return { path, detail: error.message ?? 'is not valid' }
  }
}

/**
 * The source as the compiler takes it, or a DG_PROFILE_INVALID error naming the file and the
 * JSON path of the first problem (and how many more there are).
 */
export function validateProfileSource (json: unknown, file: string): ProfileSource {
  const validate = compiledSchema()
  if (validate(json)) return json
  const errors = (validate.errors ?? []).filter((e) => !inOneOfBranch(e))
  const first = errors[0]
  if (first === undefined) throw invalid(file, '', 'does not follow profiles/profile.schema.json')
  const { path, detail } = describe(first)
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : ''
  throw invalid(file, path, `${detail}${more}`)
}
