// The store contract against the in-memory driver.
import { openStore } from '../../src/store/open.js'
import { runStoreContract } from './contract.js'

runStoreContract('memory', () => openStore({ driver: 'memory' }))
