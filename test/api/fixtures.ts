// Valid manifests for the api unit tests; each call returns a fresh object a test may change.
import { API_VERSION } from '../../src/api/meta.js'

export function app(overrides: { spec?: Record<string, unknown>; template?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}): any {
  return {
    apiVersion: API_VERSION,
    kind: 'App',
    metadata: { name: 'web', ...overrides.metadata },
    spec: {
      template: { command: 'node', args: ['server.js'], ports: [{ name: 'http' }], ...overrides.template },
      ...overrides.spec,
    },
  }
}

export function site(overrides: { spec?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}): any {
  return {
    apiVersion: API_VERSION,
    kind: 'Site',
    metadata: { name: 'par-1', ...overrides.metadata },
    spec: { region: 'eu-west', provider: 'acme', ...overrides.spec },
  }
}
