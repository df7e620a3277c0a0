/** tgw transfers list | show | retry */
import { STATES } from '../../domain/transfer.js';
import type { GatewayClient } from '../client.js';
import { intOption, oneOf, parseCommand, partnerId, type Command, type Context } from '../command.js';
import { ApiError, EXIT, UsageError } from '../errors.js';
import { clean, detailText, json, plural, println, table, time, type Output } from '../format.js';
import { ProgressBar } from '../progress.js';
import type { Transfer, TransferSummary } from '../wire.js';

const PAGE_MAX = 100;

/** Every page of a listing (following nextCursor), or just the first. */
async function collect(
  api: GatewayClient,
  q: { state?: string | undefined; target?: string | undefined; overdue?: boolean | undefined },
  pageSize: number,
  all: boolean,
): Promise<{ items: TransferSummary[]; more: boolean }> {
  const items: TransferSummary[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api.listTransfers({ ...q, limit: pageSize, cursor });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
    if (!cursor) return { items, more: false };
    if (!all) return { items, more: true };
  }
}

const LIST = ['transfers', 'list'];
const list: Command = {
  path: LIST,
  summary: 'list transfers, newest first',
  help: `usage: tgw transfers list [--state S] [--target T] [--overdue] [--limit N] [--all] [--json]

  --state S    only transfers in state S: ${STATES.join(', ')}
  --target T   only transfers to partner T (tgw targets lists them)
  --overdue    only transfers whose member is overdue for local reporting
  --limit N    transfers per page (1-${PAGE_MAX}, default 20)
  --all        follow the pages to the end
  --json       print the transfers as a JSON array`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(LIST, args, {
      state: { type: 'string' },
      target: { type: 'string' },
      overdue: { type: 'boolean' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, LIST);
    const state = oneOf(LIST, 'state', values.state, STATES);
    const target = partnerId(LIST, values.target);
    const all = values.all ?? false;
    const pageSize = intOption(LIST, 'limit', values.limit, PAGE_MAX) ?? (all ? PAGE_MAX : 20);
    const api = ctx.connect(values);
    const { items, more } = await collect(api, { state, target, overdue: values.overdue }, pageSize, all);
    if (values.json) {
      json(ctx.out, items);
      return EXIT.ok;
    }
    if (items.length === 0) {
      println(ctx.out, 'no transfers match');
      return EXIT.ok;
    }
    const header = ['ID', 'TARGET', 'STATE', 'ATTEMPTS', 'LAST ERROR', 'UPDATED'];
    const rows = items.map((t) => [
      t.id,
      t.target,
      t.state,
      String(t.attempts),
      t.lastError?.code ?? '-',
      time(t.updatedAt),
      ...(values.overdue ? [time(t.localReport?.dueAt)] : []),
    ]);
    for (const line of table(values.overdue ? [...header, 'DUE'] : header, rows)) println(ctx.out, line);
    if (more) println(ctx.err, `(${plural(items.length, 'transfer')} shown; more with --all)`);
    return EXIT.ok;
  },
};

function printTransfer(out: Output, t: Transfer): void {
  const fields: [string, string][] = [
    ['id', t.id],
    ['externalRef', t.externalRef],
    ['state', t.state],
    ['target', t.target],
    ['attempts', String(t.attempts)],
    ['partnerRef', t.partnerRef ?? '-'],
  ];
  if (t.reason) fields.push(['reason', t.reason.kind + (t.irreversible ? ' (irreversible)' : '')]);
  if (t.destination) {
    fields.push(['destination', `${t.destination.provinceCode} ${t.destination.orgFullName}`]);
  }
  if (t.member) fields.push(['member', [t.member.name, t.member.idNumber].filter(Boolean).join(' ')]);
  if (t.localReport) {
    const overdue = t.localReport.overdue ? ', OVERDUE' : '';
    fields.push(['localReport', `${t.localReport.status}, due ${time(t.localReport.dueAt)}${overdue}`]);
  }
  // Shown once the partner reported it (only a partner that creates accounts ever does).
  if (t.nationalAccountCreated) fields.push(['accountCreated', 'yes']);
  fields.push(['created', time(t.createdAt)], ['updated', time(t.updatedAt)]);
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) println(out, `${k.padEnd(width)}  ${clean(v)}`);

  println(out);
  println(out, 'timeline:');
  const rows = t.events.map((e) => [time(e.at), e.source ?? '-', e.type, detailText(e.detail)]);
  for (const line of table(['TIME', 'SOURCE', 'EVENT', 'DETAIL'], rows)) println(out, `  ${line}`);

  const err = t.lastError;
  if (err) {
    println(out);
    println(out, `last error: ${clean(err.code)}${err.message ? `: ${clean(err.message)}` : ''}`);
    if (err.at) println(out, `  at ${time(err.at)}${err.attempt ? ` (attempt ${err.attempt})` : ''}`);
    if (err.partnerReason) println(out, `  partner says: ${clean(err.partnerReason)}`);
    if (err.suggestions?.length) {
      println(out, '  the partner suggests:');
      for (const s of err.suggestions) println(out, `    ${clean(s.orgId)}  ${clean(s.fullName)}`);
    }
  }
}

const SHOW = ['transfers', 'show'];
const show: Command = {
  path: SHOW,
  summary: 'one transfer with its timeline and last error',
  help: `usage: tgw transfers show <id> [--json]

  --json   print the transfer as the API answers it`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(SHOW, args, { json: { type: 'boolean' } });
    const [id, extra] = positionals;
    if (id === undefined) throw new UsageError('which transfer? give its id (trf_…)', SHOW);
    if (extra !== undefined) throw new UsageError(`one id at a time; unexpected "${extra}"`, SHOW);
    const t = await ctx.connect(values).getTransfer(id);
    if (values.json) json(ctx.out, t);
    else printTransfer(ctx.out, t);
    return EXIT.ok;
  },
};

interface Refusal {
  id: string;
  status: number;
  code: string;
  detail: string;
}

/**
 * Retries each id, a few at a time. A refusal (404, 409…) is recorded and the rest go on; an auth or
 * network failure stops the run: it would refuse every one that follows.
 */
async function retryEach(
  ctx: Context,
  api: GatewayClient,
  ids: readonly string[],
): Promise<{ retried: number; refused: Refusal[]; stopped?: Error }> {
  const progress = ids.length > 1 ? new ProgressBar(ctx.err, ids.length, 'retrying') : undefined;
  let next = 0;
  let retried = 0;
  const refused: Refusal[] = [];
  let stopped: Error | undefined;
  const worker = async () => {
    for (let id = ids[next++]; id !== undefined && stopped === undefined; id = ids[next++]) {
      try {
        await api.retryTransfer(id);
        retried += 1;
      } catch (err) {
        if (!(err instanceof ApiError)) {
          stopped ??= err instanceof Error ? err : new Error(String(err));
          return;
        }
        refused.push({ id, ...err.problem });
      }
      progress?.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, ids.length) }, worker));
  progress?.finish();
  return { retried, refused, ...(stopped === undefined ? {} : { stopped }) };
}

const RETRY = ['transfers', 'retry'];
const retry: Command = {
  path: RETRY,
  summary: 'retry failed transfers, by id or every failed one',
  help: `usage: tgw transfers retry <id...>
       tgw transfers retry --all-failed [--target T] [--yes]

  --all-failed   retry every failed transfer (asks first unless --yes)
  --target T     with --all-failed: only transfers to partner T (tgw targets lists them)
  --yes          do not ask; needed with --all-failed when there is no terminal

Exits 1 when the gateway refused any of them (each refusal is listed with its code).`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(RETRY, args, {
      'all-failed': { type: 'boolean' },
      target: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
    });
    const allFailed = values['all-failed'] ?? false;
    if (allFailed && positionals.length > 0) {
      throw new UsageError('give ids or --all-failed, not both', RETRY);
    }
    if (!allFailed && positionals.length === 0) {
      throw new UsageError('which transfers? give ids, or --all-failed', RETRY);
    }
    if (!allFailed && values.target !== undefined) {
      throw new UsageError('--target goes with --all-failed', RETRY);
    }
    const target = partnerId(RETRY, values.target);
    const api = ctx.connect(values);

    let ids = [...new Set(positionals)];
    if (allFailed) {
      ids = (await collect(api, { state: 'failed', target }, PAGE_MAX, true)).items.map((t) => t.id);
      const which = `failed ${target ? `${target} ` : ''}transfer`;
      if (ids.length === 0) {
        println(ctx.out, `no ${which}s`);
        return EXIT.ok;
      }
      if (!values.yes) {
        const question = `retry ${plural(ids.length, which)}? [y/N] `;
        if (!ctx.confirm) {
          throw new UsageError(
            `${plural(ids.length, which)} would be retried; pass --yes to go ahead (no terminal to ask on)`,
            RETRY,
          );
        }
        if (!(await ctx.confirm(question))) {
          println(ctx.out, 'nothing retried');
          return EXIT.ok;
        }
      }
    }

    const { retried, refused, stopped } = await retryEach(ctx, api, ids);
    const done = retried + refused.length;
    println(
      ctx.out,
      `retried ${retried} of ${plural(ids.length, 'transfer')}` +
        (retried > 0 ? '; they are accepted again and queued for delivery' : ''),
    );
    if (refused.length > 0) {
      println(ctx.out, `refused ${refused.length}:`);
      const rows = refused.map((r) => [r.id, `${r.status} ${r.code}`, r.detail]);
      for (const line of table(['ID', 'CODE', 'DETAIL'], rows)) println(ctx.out, `  ${line}`);
    }
    if (stopped !== undefined) {
      println(ctx.out, `stopped after ${done} of ${ids.length}:`);
      throw stopped;
    }
    return refused.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

export const transferCommands: readonly Command[] = [list, show, retry];
