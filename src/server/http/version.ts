// GET /version in Kubernetes' shape (kubectl version reads gitVersion), plus our own fields.
import { arch, platform } from 'node:process'

export function versionInfo(version: string, store: string): Record<string, string> {
  const [major = '0', minor = '0'] = version.split('.')
  return {
    major, minor, gitVersion: `v${version}`, gitCommit: '', gitTreeState: '', buildDate: '',
    compiler: 'node', platform: `${platform}/${arch === 'x64' ? 'amd64' : arch}`,
    version, store,
  }
}
