#!/usr/bin/env node
/** The `tgw` bin: wires the process (stdout, stderr, a terminal to confirm on) to main. */
import { createInterface } from 'node:readline/promises';
import { main } from './main.js';

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

// `tgw transfers list | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2), {
  out: process.stdout,
  err: process.stderr,
  ...(process.stdin.isTTY && process.stderr.isTTY ? { confirm } : {}),
});
