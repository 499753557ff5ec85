// What an import could not honour: the field (path in the source document) and why.
export interface ImportWarning { source: string; field: string; message: string }
export type Warn = (field: string, message: string) => void

/** One line per warning, as kubectl prints a Warning header: "Deployment web: spec.x: why". */
export function formatWarning(w: ImportWarning): string {
  return `${w.source}: ${w.field}: ${w.message}`
}
