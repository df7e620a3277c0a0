/** tgw retention: the retention windows, the last sweep, what is due, and every bound. */
import { parseCommand, type Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { clean, json, plural, println, time, type Output } from '../format.js';
import type { RetentionStatus } from '../retention-wire.js';

/** Where erased personal data stands on disk: Redis's append-only file keeps it until rewritten. */
function diskText(d: RetentionStatus['disk']): string {
  if (d.aofRewriteDueSince) {
    const waiting = `erased data waits for an append-only file rewrite since ${time(d.aofRewriteDueSince)}`;
    if (d.aofRewriteError)
      return `${waiting}; Redis refused the last request (asked again next run): ${d.aofRewriteError}`;
    if (d.aofRewriteRequestedAt) {
      return `${waiting}; the last rewrite was requested ${time(d.aofRewriteRequestedAt)} (at most one an hour)`;
    }
    return `${waiting}; requested at the next run`;
  }
  if (d.aofRewriteResult === 'aof_off') return 'Redis keeps no append-only file: erased data is off the disk';
  if (d.aofRewriteRequestedAt) {
    return `append-only file rewrite requested ${time(d.aofRewriteRequestedAt)}, after the last purge`;
  }
  return 'no purge yet: no append-only file rewrite needed';
}

function printStatus(out: Output, s: RetentionStatus): void {
  const { settings, lastRun: run, due, totals, next } = s;
  const fields: [string, string][] = [
    [
      'personal data',
      `erased ${plural(settings.piiRetentionDays, 'day')} after a transfer finished (PII_RETENTION_DAYS)`,
    ],
    [
      'records',
      `deleted ${plural(settings.recordRetentionDays, 'day')} after a transfer finished (RECORD_RETENTION_DAYS)`,
    ],
    [
      'last run',
      run
        ? `${time(run.at)}, ${run.durationMs} ms: packed ${run.packed}, purged ${run.purged}, ` +
          `expired ${run.expired}, deferred ${run.deferred}, errors ${run.errors}`
        : 'none yet',
    ],
    ['due now', `pack ${due.pack}, purge ${due.purge}, expire ${due.expire} (the next run takes them)`],
    [
      'totals',
      `packed ${totals.packed}, purged ${totals.purged}, expired ${totals.expired}, ` +
        `append-only file rewrites ${totals.aofRewrites}`,
    ],
    ['next purge', next.purgeAt ? time(next.purgeAt) : '- (no finished transfer holds personal data)'],
    ['next expiry', next.expireAt ? time(next.expireAt) : '- (no finished transfer is stored)'],
    ['disk', diskText(s.disk)],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  for (const [k, v] of fields) println(out, `${k.padEnd(width)}  ${clean(v)}`);
  if (run && run.errors > 0) {
    println(out, `(the last run could not handle ${plural(run.errors, 'transfer')}; the log names each)`);
  }
}

/** Each bound as a block: the rules' texts are sentences, too long for table columns. */
function printRules(out: Output, rules: RetentionStatus['rules']): void {
  println(out);
  println(out, 'what the gateway keeps, and for how long:');
  for (const r of rules) {
    println(out);
    println(out, `  ${clean(r.what)}`);
    println(out, `    kept  ${clean(r.kept)}${r.setting ? ` (${clean(r.setting)})` : ''}`);
    println(out, `    why   ${clean(r.rule)}`);
  }
}

const RETENTION = ['retention'];
const status: Command = {
  path: RETENTION,
  summary: 'retention windows, the last sweep, what is due, the next purge and expiry',
  help: `usage: tgw retention [--rules] [--json]

Personal data of a finished transfer is erased PII_RETENTION_DAYS after it finished, the transfer itself
deleted RECORD_RETENTION_DAYS after (export it before: tgw transfers export). Shows those windows, the
last sweep, what is due now, the totals, when the next purge and expiry fall, and whether erased data
still waits for Redis to rewrite its append-only file.

  --rules   also every bound: what the gateway keeps, for how long, and why
  --json    print the status as the API answers it (the bounds included)`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(RETENTION, args, {
      rules: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, RETENTION);
    const s = await ctx.connect(values).retention();
    if (values.json) {
      json(ctx.out, s);
      return EXIT.ok;
    }
    printStatus(ctx.out, s);
    if (values.rules) printRules(ctx.out, s.rules);
    return EXIT.ok;
  },
};

export const retentionCommands: readonly Command[] = [status];
