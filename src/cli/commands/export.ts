/** tgw transfers export: finished transfers as JSON Lines, without personal data, before they expire. */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { STATES, TERMINAL_STATES } from '../../domain/transfer.js';
import { intOption, oneOf, parseCommand, partnerId, type Command } from '../command.js';
import { parseInstant } from '../dates.js';
import { UsageError, EXIT } from '../errors.js';
import { plural, println, time, type Output } from '../format.js';
import { ProgressBar } from '../progress.js';
import type { ExportedTransfer } from '../retention-wire.js';

const PAGE_MAX = 500;
const PAGE_DEFAULT = 100;

const EXPORT = ['transfers', 'export'];

/** A day (midnight UTC) or an instant with its zone; anything else is a usage error. */
function instantOption(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const at = parseInstant(raw);
  if (!at) {
    throw new UsageError(
      `--${name} "${raw}" is neither a day (YYYY-MM-DD, midnight UTC) nor an instant with its zone ` +
        '(e.g. 2026-01-05T10:00:00Z or 2026-01-05T18:00+08:00)',
      EXPORT,
    );
  }
  return at;
}

function stateOption(raw: string | undefined) {
  if (raw !== undefined && (STATES as readonly string[]).includes(raw)) {
    const finished = (TERMINAL_STATES as readonly string[]).includes(raw);
    if (!finished) {
      throw new UsageError(
        `state "${raw}" is not a finished state; only finished transfers are exported: ${TERMINAL_STATES.join(', ')}`,
        EXPORT,
      );
    }
  }
  return oneOf(EXPORT, 'state', raw, TERMINAL_STATES);
}

/**
 * The API leaves personal data out of an export (no member, no domestic contact); the CLI drops them
 * too, so an export never carries them whatever gateway answered.
 */
function withoutPersonalData(t: ExportedTransfer): Record<string, unknown> {
  const { member: _member, ...rest } = t;
  const reason = rest.reason;
  if (reason !== null && typeof reason === 'object' && 'domesticContact' in reason) {
    const { domesticContact: _contact, ...kept } = reason as Record<string, unknown>;
    return { ...rest, reason: kept };
  }
  return rest;
}

/**
 * One JSON line. JSON.stringify escapes C0 control characters; C1 ones and the line separators are
 * escaped too (they can only occur inside strings), so a line is safe on a terminal and in any reader.
 */
function jsonLine(value: unknown): string {
  const text = JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${text}\n`;
}

/** Where the lines go: standard output, or a file that only appears under its name once complete. */
interface Sink {
  name: string;
  write(chunk: string): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

function stdoutSink(out: Output): Sink {
  return {
    name: 'standard output',
    write: (chunk) => {
      out.write(chunk);
      return Promise.resolve();
    },
    commit: () => Promise.resolve(),
    abort: () => Promise.resolve(),
  };
}

const reasonOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Written to FILE.partial, synced, then renamed to FILE: a FILE is always a whole export. */
async function fileSink(path: string): Promise<Sink> {
  const partial = `${path}.partial`;
  let handle: FileHandle;
  try {
    handle = await open(partial, 'w');
  } catch (err) {
    throw new UsageError(`--out: cannot write ${partial}: ${reasonOf(err)}`, EXPORT);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    name: path,
    // writeFile on a handle writes all of it, from the current position.
    write: (chunk) => handle.writeFile(chunk, 'utf8'),
    async commit() {
      await handle.sync();
      await close();
      await rename(partial, path);
    },
    async abort() {
      await close().catch(() => undefined);
      await rm(partial, { force: true }).catch(() => undefined);
    },
  };
}

export const exportCommand: Command = {
  path: EXPORT,
  summary: 'finished transfers as JSON Lines, without personal data, oldest first',
  help: `usage: tgw transfers export [--state S] [--target T] [--finished-since D] [--finished-before D]
                            [--out FILE] [--page N]

Finished transfers, oldest finished first, one JSON object a line (JSON Lines), each with its timeline
and without personal data (no member, no domestic contact): the record to keep, since the gateway
deletes a transfer RECORD_RETENTION_DAYS after it finished.

  --state S             only transfers that finished in state S:
                        ${TERMINAL_STATES.join(', ')}
  --target T            only transfers to partner T (tgw targets lists them)
  --finished-since D    only transfers that finished at or after D
  --finished-before D   only transfers that finished before D (not at D)
  --out FILE            write to FILE instead of standard output: written as FILE.partial and renamed
                        to FILE once complete, so a failed export never leaves a FILE that looks whole
  --page N              transfers read per request (1-${PAGE_MAX}, default ${PAGE_DEFAULT})

D is a day, YYYY-MM-DD, meaning its midnight UTC (--finished-since 2026-01-01 --finished-before
2026-02-01 is January, UTC), or an instant with its zone: 2026-01-05T10:00:00Z, 2026-01-05T18:00+08:00.
Progress and a closing summary go to standard error.`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(EXPORT, args, {
      state: { type: 'string' },
      target: { type: 'string' },
      'finished-since': { type: 'string' },
      'finished-before': { type: 'string' },
      out: { type: 'string' },
      page: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, EXPORT);
    const state = stateOption(values.state);
    const target = partnerId(EXPORT, values.target);
    const since = instantOption('finished-since', values['finished-since']);
    const before = instantOption('finished-before', values['finished-before']);
    if (since && before && before.getTime() <= since.getTime()) {
      throw new UsageError('--finished-before must be later than --finished-since', EXPORT);
    }
    const limit = intOption(EXPORT, 'page', values.page, PAGE_MAX) ?? PAGE_DEFAULT;
    if (values.out === '') throw new UsageError('--out needs a file name', EXPORT);
    const api = ctx.connect(values);

    const sink = values.out === undefined ? stdoutSink(ctx.out) : await fileSink(values.out);
    // Lines on a terminal and a bar redrawn between them would garble each other.
    const showProgress = values.out !== undefined || !ctx.out.isTTY;
    let progress: ProgressBar | undefined;
    let exported = 0;
    try {
      let cursor: string | undefined;
      for (let first = true; ; first = false) {
        const page = await api.finishedTransfers({
          state,
          target,
          since: since?.toISOString(),
          until: before?.toISOString(),
          limit,
          cursor,
        });
        if (first && showProgress && page.total > 0) {
          progress = new ProgressBar(ctx.err, page.total, 'exporting');
        }
        if (page.items.length > 0) {
          await sink.write(page.items.map((t) => jsonLine(withoutPersonalData(t))).join(''));
        }
        exported += page.items.length;
        progress?.tick(page.scanned);
        const next = page.nextCursor ?? undefined;
        if (next === undefined) break;
        if (next === cursor) throw new Error(`the gateway answered the same cursor twice (${next})`);
        cursor = next;
      }
      progress?.finish();
      await sink.commit();
    } catch (err) {
      progress?.finish();
      await sink.abort();
      if (values.out !== undefined) {
        println(ctx.err, `export stopped after ${plural(exported, 'transfer')}; ${values.out} not written`);
      }
      throw err;
    }

    const filters = [state ? `state ${state}` : 'every finished state'];
    if (target) filters.push(`target ${target}`);
    if (since) filters.push(`finished since ${time(since.toISOString())}`);
    if (before) filters.push(`finished before ${time(before.toISOString())}`);
    println(ctx.err, `exported ${plural(exported, 'transfer')} (${filters.join(', ')}) to ${sink.name}`);
    return EXIT.ok;
  },
};
