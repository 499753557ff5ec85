import { test } from 'node:test'
import assert from 'node:assert/strict'
import { groupMembers, parseProcStat, readProcStat } from '../../src/agent/runtime/proc-stat.js'

test('parses fields after the last parenthesis, whatever the command name holds', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3)) // field N holds N
  fields[0] = 'S'
  const st = parseProcStat(`4242 (we ird) (x) 1) ${fields.join(' ')}`)
  assert.ok(st)
  assert.equal(st.pid, 4242)
  assert.equal(st.comm, 'we ird) (x) 1')
  assert.equal(st.state, 'S')
  assert.equal(st.ppid, 4)
  assert.equal(st.pgrp, 5)
  assert.equal(st.session, 6)
  assert.equal(st.startTime, 22)
})

test('rejects garbage and reads this very process', () => {
  assert.equal(parseProcStat('nonsense'), undefined)
  assert.equal(parseProcStat('1 (x) S 0'), undefined)
  assert.equal(readProcStat(0), undefined)
  assert.equal(readProcStat(2 ** 30), undefined)
  const self = readProcStat(process.pid)
  assert.ok(self)
  assert.equal(self.pid, process.pid)
  assert.ok(self.startTime > 0)
  assert.ok(groupMembers(self.pgrp).some((m) => m.pid === process.pid))
})
