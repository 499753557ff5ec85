// Entry point: runs the CLI with this process's arguments.
import { main } from './main.js'

await main(process.argv)
