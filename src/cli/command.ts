/** What every command gets, and how it reads its own options (node:util parseArgs, strict). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PARTNER_ID } from '../domain/transfer.js';
import { CliConfigError, loadCliConfig } from '../config/cli.js';
import { GatewayClient, type Fetch } from './client.js';
import { UsageError } from './errors.js';
import type { Output } from './format.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Accepted before the command and after it (after wins). */
export const GLOBAL_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export interface Globals {
  url?: string | undefined;
  key?: string | undefined;
}

export interface Io {
  out: Output;
  err: Output;
  /** Asks a yes/no question on the terminal; undefined when there is no terminal to ask on. */
  confirm?: (question: string) => Promise<boolean>;
  /** The environment for TGW_URL/TGW_KEY; the process environment when absent. */
  env?: Record<string, string | undefined>;
  fetch?: Fetch;
}

export interface Context extends Io {
  /** The client for the gateway, from the options before the command, then the command's own. */
  connect(own: Globals): GatewayClient;
}

export interface Command {
  /** The words that name it, e.g. ['transfers', 'list']. */
  path: readonly string[];
  summary: string;
  /** Usage lines and option descriptions, shown by --help. */
  help: string;
  run(ctx: Context, args: readonly string[]): Promise<number>;
}

export function contextFor(io: Io, globals: Globals, command: readonly string[]): Context {
  return {
    ...io,
    connect(own) {
      try {
        const config = loadCliConfig({ url: own.url ?? globals.url, key: own.key ?? globals.key }, io.env);
        return new GatewayClient(config, io.fetch);
      } catch (err) {
        if (err instanceof CliConfigError) throw new UsageError(err.message, command);
        throw err;
      }
    },
  };
}

/** Strict parse of a command's arguments, the global options included; mistakes are usage errors. */
export function parseCommand<const O extends Options>(
  command: readonly string[],
  args: readonly string[],
  options: O,
) {
  const all = { ...GLOBAL_OPTIONS, ...options };
  // parseArgs's own message for an unknown option is long-winded; name it plainly first.
  const { tokens } = parseArgs({ args, options: all, allowPositionals: true, strict: false, tokens: true });
  const unknown = tokens.find((t) => t.kind === 'option' && !Object.hasOwn(all, t.name));
  if (unknown?.kind === 'option') throw new UsageError(`unknown option ${unknown.rawName}`, command);
  try {
    return parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), command);
  }
}

/** A positive whole number option, at most `max`. */
export function intOption(
  command: readonly string[],
  name: string,
  raw: string | undefined,
  max: number,
): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}`, command);
  }
  return Number(raw);
}

/** A value that must be one of `allowed`. */
export function oneOf<T extends string>(
  command: readonly string[],
  what: string,
  raw: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (raw === undefined) return undefined;
  const found = allowed.find((a) => a === raw);
  if (found === undefined) {
    throw new UsageError(`unknown ${what} "${raw}"; one of: ${allowed.join(', ')}`, command);
  }
  return found;
}

/** A partner id option: checked for its form here; whether the gateway has that partner, it says. */
export function partnerId(command: readonly string[], raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!PARTNER_ID.test(raw))
    throw new UsageError(`"${raw}" is not a partner id (tgw targets lists them)`, command);
  return raw;
}
