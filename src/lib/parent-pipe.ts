// A child that must not outlive its parent: the parent hands it the read end of a pipe (fd 3) and
// keeps the write end; when the parent is gone, however it went (even SIGKILL), the kernel closes
// the write end, the child reads EOF and stops itself the ordinary way (SIGTERM to itself).
import { Socket } from 'node:net'

/** The environment variable naming the fd; set by the parent (the demo) together with the pipe. */
export const PARENT_PIPE_ENV = 'EDGEPLANE_PARENT_PIPE_FD'

export function watchParentPipe(env: NodeJS.ProcessEnv = process.env, onGone = () => { process.kill(process.pid, 'SIGTERM') }): boolean {
  const fd = Number(env[PARENT_PIPE_ENV])
  if (!Number.isInteger(fd) || fd < 3) return false
  // Not passed on to what this process starts (instances must not hold the parent's pipe open).
  delete env[PARENT_PIPE_ENV]
  let fired = false
  const gone = () => { if (!fired) { fired = true; onGone() } }
  try {
    const s = new Socket({ fd, readable: true, writable: false })
    s.on('data', () => { /* the parent writes nothing; draining keeps the pipe open */ })
    s.on('end', gone)
    s.on('close', gone)
    s.on('error', gone)
    s.unref()
  } catch {
    return false
  }
  return true
}
