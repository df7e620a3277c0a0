/** tgw targets | targets pause <target> | targets resume <target> */

import { parseCommand, partnerId, type Command } from '../command.js';
import { EXIT, UsageError } from '../errors.js';
import { json, plural, println, table } from '../format.js';
import type { TargetStatus } from '../wire.js';

const COUNTS = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

function breakerText(s: TargetStatus): string {
  const probeMs = s.breakerNextProbeMs ?? 0;
  return s.breaker === 'open' && probeMs > 0 ? `open (probe in ${Math.ceil(probeMs / 1000)} s)` : s.breaker;
}

/** Paused by an operator, held by a breaker opened in some worker process (shared in Redis), or running. */
function deliveryText(s: TargetStatus): string {
  if (s.paused) return 'PAUSED';
  const heldMs = s.heldMs ?? 0;
  return heldMs > 0 ? `held ${Math.ceil(heldMs / 1000)} s` : 'running';
}

const STATUS = ['targets'];
const status: Command = {
  path: STATUS,
  summary: "each target's delivery: paused or running, breaker, queue counts",
  help: `usage: tgw targets [--json]
       tgw targets pause <target>
       tgw targets resume <target>

  --json   print the status as the API answers it

The breaker state is the one held by the gateway process that answered (each process keeps its own);
a pause holds for every process, and so does the hold an open breaker in any worker puts on the queue
(DELIVERY shows "held N s").`,
  async run(ctx, args) {
    const { values, positionals } = parseCommand(STATUS, args, { json: { type: 'boolean' } });
    if (positionals.length > 0) {
      throw new UsageError(`unknown targets command "${positionals[0]}"; pause or resume`, STATUS);
    }
    const { items } = await ctx.connect(values).targets();
    if (values.json) {
      json(ctx.out, items);
      return EXIT.ok;
    }
    const rows = items.map((s) => [
      s.target,
      deliveryText(s),
      breakerText(s),
      ...COUNTS.map((c) => String(s.counts[c] ?? 0)),
    ]);
    const header = ['TARGET', 'DELIVERY', 'BREAKER', ...COUNTS.map((c) => c.toUpperCase())];
    for (const line of table(header, rows)) println(ctx.out, line);
    println(ctx.out, '(breaker as seen by the gateway process that answered; each process keeps its own)');
    return EXIT.ok;
  },
};

function pauseCommand(paused: boolean): Command {
  const verb = paused ? 'pause' : 'resume';
  const path = ['targets', verb];
  return {
    path,
    summary: paused
      ? "pause a target's delivery (every worker process; new transfers wait)"
      : "resume a target's delivery",
    help: `usage: tgw targets ${verb} <target>

  <target>   a partner id, as \`tgw targets\` lists them (e.g. national)
${
  paused
    ? `
Jobs already running finish; waiting and new transfers stay queued (state accepted) until
\`tgw targets resume <target>\`. The pause is held in Redis, so it holds for every worker process.`
    : ''
}`,
    async run(ctx, args) {
      const { values, positionals } = parseCommand(path, args, { json: { type: 'boolean' } });
      const [raw, extra] = positionals;
      if (raw === undefined) throw new UsageError('which target? `tgw targets` lists them', path);
      if (extra !== undefined) throw new UsageError(`one target at a time; unexpected "${extra}"`, path);
      const target = partnerId(path, raw) ?? raw;
      const s = await ctx.connect(values).setTargetPaused(target, paused);
      if (values.json) {
        json(ctx.out, s);
        return EXIT.ok;
      }
      const waiting = plural(s.counts.waiting ?? 0, 'job');
      println(
        ctx.out,
        s.paused
          ? `${s.target}: delivery paused; ${waiting} waiting stay queued until \`tgw targets resume ${s.target}\``
          : `${s.target}: delivery running; ${waiting} waiting`,
      );
      return EXIT.ok;
    },
  };
}

export const targetCommands: readonly Command[] = [status, pauseCommand(true), pauseCommand(false)];
