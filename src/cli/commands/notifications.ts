/** tgw notifications list | replay: the Beijing notifications that could not be delivered. */
import { NOTIFICATION_STATUSES } from '../../http/notifications/schemas.js';
import { intOption, oneOf, parseCommand, type Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { json, plural, println, table, time } from '../format.js';
import type { NotificationJob } from '../wire.js';

const PAGE_MAX = 100;

function change(job: NotificationJob): string {
  const n = job.notification;
  if (!n) return '(gone)';
  return n.type === 'transfer.state_changed' ? `${n.previousState} → ${n.state}` : `${n.type} (${n.state})`;
}

const LIST = ['notifications', 'list'];
const list: Command = {
  path: LIST,
  summary: 'Beijing notifications by queue status (failed by default)',
  help: `usage: tgw notifications list [--status S] [--limit N] [--all] [--json]

  --status S   ${NOTIFICATION_STATUSES.join(', ')} (default failed: attempts exhausted)
  --limit N    per page (1-${PAGE_MAX}, default 20)
  --all        follow the pages to the end
  --json       print them as a JSON array`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(LIST, args, {
      status: { type: 'string' },
      limit: { type: 'string' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, LIST);
    const status = oneOf(LIST, 'status', values.status, NOTIFICATION_STATUSES) ?? 'failed';
    const all = values.all ?? false;
    const limit = intOption(LIST, 'limit', values.limit, PAGE_MAX) ?? (all ? PAGE_MAX : 20);
    const api = ctx.connect(values);
    const items: NotificationJob[] = [];
    let cursor: string | undefined;
    let more = false;
    do {
      const page = await api.listNotifications({ status, limit, cursor });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      more = cursor !== undefined;
    } while (all && more);
    if (values.json) {
      json(ctx.out, items);
      return EXIT.ok;
    }
    if (items.length === 0) {
      println(ctx.out, `no ${status} notifications`);
      return EXIT.ok;
    }
    const rows = items.map((j) => [
      j.id,
      change(j),
      String(j.attemptsMade),
      time(j.lastAttemptAt),
      j.failedReason ?? '-',
    ]);
    for (const line of table(['JOB', 'CHANGE', 'ATTEMPTS', 'LAST ATTEMPT', 'REASON'], rows)) {
      println(ctx.out, line);
    }
    if (more) println(ctx.err, `(${plural(items.length, 'notification')} shown; more with --all)`);
    return EXIT.ok;
  },
};

const REPLAY = ['notifications', 'replay'];
const replay: Command = {
  path: REPLAY,
  summary: 'send failed notifications again, from a fresh round of attempts',
  help: `usage: tgw notifications replay --all
       tgw notifications replay <jobId...>

  --all      every failed notification
  <jobId>    job ids as \`tgw notifications list\` shows them (trf_…-n<seq>); all must be failed,
             or none is replayed`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(REPLAY, args, { all: { type: 'boolean' } });
    if (values.all && positionals.length > 0) throw new UsageError('give job ids or --all, not both', REPLAY);
    if (!values.all && positionals.length === 0) {
      throw new UsageError('which notifications? give job ids, or --all', REPLAY);
    }
    const ids = values.all ? undefined : [...new Set(positionals)];
    const { replayed } = await ctx.connect(values).replayNotifications(ids);
    println(
      ctx.out,
      replayed === 0
        ? 'no failed notifications to replay'
        : `replayed ${plural(replayed, 'notification')}; queued for delivery to Beijing again`,
    );
    return EXIT.ok;
  },
};

export const notificationCommands: readonly Command[] = [list, replay];
