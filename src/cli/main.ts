/**
 * tgw: the operator CLI. Finds the command named by the leading words, hands it the rest, and turns
 * every failure into one line on stderr and an exit code (errors.ts EXIT).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_GATEWAY_URL } from '../config/cli.js';
import { GLOBAL_OPTIONS, contextFor, parseCommand, type Command, type Io } from './command.js';
import { exportCommand } from './commands/export.js';
import { notificationCommands } from './commands/notifications.js';
import { retentionCommands } from './commands/retention.js';
import { targetCommands } from './commands/targets.js';
import { transferCommands } from './commands/transfers.js';
import { ApiError, AuthError, EXIT, UnreachableError, UsageError } from './errors.js';
import { clean, println, type Output } from './format.js';

export const COMMANDS: readonly Command[] = [
  ...transferCommands,
  exportCommand,
  ...targetCommands,
  ...notificationCommands,
  ...retentionCommands,
];

const name = (path: readonly string[]) => path.join(' ');

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => name(c.path).length), 'help [command]'.length);
  const lines = COMMANDS.map((c) => `  ${name(c.path).padEnd(width)}  ${c.summary}`);
  return `tgw: the transfer gateway's operator CLI

usage: tgw [--url URL] [--key KEY] <command> [options]

commands:
${lines.join('\n')}
  ${'help [command]'.padEnd(width)}  this help, or a command's (also: <command> --help)

options (before or after the command):
  --url URL    the gateway (env TGW_URL, default ${DEFAULT_GATEWAY_URL})
  --key KEY    an API key with the ops scope (env TGW_KEY)
  -h, --help   help

exit codes: 0 ok; 1 the operation failed (e.g. some retries refused); 2 usage error;
            3 the key is missing, invalid or lacks the ops scope; 4 cannot reach the gateway`;
}

/** The command named by the longest run of leading words, and the arguments after them. */
function find(words: readonly string[]): { command: Command; args: readonly string[] } | undefined {
  const matches = COMMANDS.filter((c) => c.path.every((w, i) => words[i] === w));
  const command = matches.sort((a, b) => b.path.length - a.path.length)[0];
  return command ? { command, args: words.slice(command.path.length) } : undefined;
}

const group = (word: string | undefined) => COMMANDS.filter((c) => c.path[0] === word);

function help(out: Output, words: readonly string[]): number {
  const found = find(words);
  if (found && found.args.length === 0) {
    println(out, found.command.help);
    return EXIT.ok;
  }
  const commands = group(words[0]);
  if (words.length === 1 && commands.length > 0) {
    println(out, commands.map((c) => c.help).join('\n\n'));
    return EXIT.ok;
  }
  if (words.length > 0) throw new UsageError(`no command "${name(words)}"`);
  println(out, mainHelp());
  return EXIT.ok;
}

function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  // Global options may come before the command: read up to the first word, strictly.
  const { tokens } = parseArgs({
    args: [...argv],
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const first = tokens.find((t) => t.kind === 'positional');
  const split = first ? first.index : argv.length;
  const globals = parseCommand([], argv.slice(0, split), {}).values;
  const words = argv.slice(split);

  if (words[0] === 'help') return help(io.out, words.slice(1));
  if (words.length === 0) {
    if (globals.help) return help(io.out, []);
    throw new UsageError('no command given');
  }
  const found = find(words);
  if (!found) {
    const commands = group(words[0]);
    if (commands.length === 0) throw new UsageError(`unknown command "${clean(words[0])}"`);
    if (globals.help || wantsHelp(words)) return help(io.out, [words[0] ?? '']);
    const subs = commands.map((c) => c.path[1]).filter(Boolean);
    throw new UsageError(`${words[0]} needs a command: ${subs.join(', ')}`);
  }
  const { command, args } = found;
  if (globals.help || wantsHelp(args)) return help(io.out, command.path);
  return command.run(contextFor(io, globals, command.path), args);
}

/** Runs one command line; never throws. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    return report(io.err, err);
  }
}

function report(err: Output, e: unknown): number {
  if (e instanceof UsageError) {
    println(err, `tgw: ${e.message}`);
    const where = e.command?.length ? `tgw ${name(e.command)} --help` : 'tgw help';
    println(err, `(see \`${where}\`)`);
    return EXIT.usage;
  }
  if (e instanceof AuthError) {
    const p = e.problem;
    println(
      err,
      `tgw: the key is missing, invalid or lacks the ops scope (${p.status} ${clean(p.code)}: ${clean(p.detail)})`,
    );
    if (!e.keyGiven) println(err, 'set TGW_KEY or pass --key');
    return EXIT.auth;
  }
  if (e instanceof UnreachableError) {
    println(err, `tgw: cannot reach the gateway at ${e.url}: ${clean(e.reason)}`);
    return EXIT.unreachable;
  }
  if (e instanceof ApiError) {
    const p = e.problem;
    println(err, `tgw: ${p.status} ${clean(p.code)}: ${clean(p.detail)}`);
    for (const fe of p.errors ?? []) println(err, `  ${clean(fe.path || 'body')}: ${clean(fe.message)}`);
    return EXIT.failed;
  }
  println(err, `tgw: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
  return EXIT.failed;
}
