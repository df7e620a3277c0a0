/**
 * `tgw retention` in-process, against stand-in answers: each state the summary can be in (the
 * integration test runs it against a real gateway after a sweep).
 */
import { describe, expect, it } from 'vitest';
import type { Fetch } from '../../../src/cli/client.js';
import { main } from '../../../src/cli/main.js';

const BASE = {
  settings: { piiRetentionDays: 90, recordRetentionDays: 400 },
  lastRun: null,
  totals: { packed: 0, purged: 0, expired: 0, aofRewrites: 0 },
  due: { pack: 0, purge: 0, expire: 0 },
  next: { purgeAt: null, expireAt: null },
  disk: {
    aofRewriteDueSince: null,
    aofRewriteRequestedAt: null,
    aofRewriteResult: null,
    aofRewriteError: null,
  },
  rules: [
    { what: 'A thing', kept: '3 days', rule: 'because', setting: 'THING_DAYS' },
    { what: 'Another', kept: 'a while', rule: 'why not' },
  ],
};

async function retention(answer: unknown, args: string[] = []) {
  let out = '';
  let err = '';
  const urls: string[] = [];
  const fetch: Fetch = (input) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return Promise.resolve(new Response(JSON.stringify(answer), { status: 200 }));
  };
  const code = await main(['retention', ...args], {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: { TGW_URL: 'http://gateway.test', TGW_KEY: 'ops-key-0123456789' },
    fetch,
  });
  return { code, out, err, urls };
}

const field = (out: string, name: string) =>
  out
    .split('\n')
    .find((l) => l.startsWith(`${name}  `))
    ?.slice(name.length)
    .trim();

describe('tgw retention', () => {
  it('before the first sweep, with nothing finished', async () => {
    const r = await retention(BASE);
    expect(r.code).toBe(0);
    expect(r.urls).toEqual(['http://gateway.test/v1/ops/retention']);
    expect(r.out).toBe(
      [
        'personal data  erased 90 days after a transfer finished (PII_RETENTION_DAYS)',
        'records        deleted 400 days after a transfer finished (RECORD_RETENTION_DAYS)',
        'last run       none yet',
        'due now        pack 0, purge 0, expire 0 (the next run takes them)',
        'totals         packed 0, purged 0, expired 0, append-only file rewrites 0',
        'next purge     - (no finished transfer holds personal data)',
        'next expiry    - (no finished transfer is stored)',
        'disk           no purge yet: no append-only file rewrite needed',
        '',
      ].join('\n'),
    );
  });

  it('a run with errors, things due, and the next purge and expiry', async () => {
    const r = await retention({
      ...BASE,
      settings: { piiRetentionDays: 1, recordRetentionDays: 30.5 },
      lastRun: {
        at: '2026-01-05T10:22:31.123Z',
        durationMs: 42,
        packed: 3,
        purged: 2,
        expired: 1,
        deferred: 1,
        errors: 2,
      },
      totals: { packed: 30, purged: 20, expired: 10, aofRewrites: 4 },
      due: { pack: 5, purge: 6, expire: 7 },
      next: { purgeAt: '2026-02-01T00:00:00.000Z', expireAt: '2026-03-01T00:00:00.000Z' },
    });
    expect(field(r.out, 'personal data')).toBe('erased 1 day after a transfer finished (PII_RETENTION_DAYS)');
    expect(field(r.out, 'records')).toBe(
      'deleted 30.5 days after a transfer finished (RECORD_RETENTION_DAYS)',
    );
    expect(field(r.out, 'last run')).toBe(
      '2026-01-05 10:22:31Z, 42 ms: packed 3, purged 2, expired 1, deferred 1, errors 2',
    );
    expect(field(r.out, 'due now')).toBe('pack 5, purge 6, expire 7 (the next run takes them)');
    expect(field(r.out, 'totals')).toBe('packed 30, purged 20, expired 10, append-only file rewrites 4');
    expect(field(r.out, 'next purge')).toBe('2026-02-01 00:00:00Z');
    expect(field(r.out, 'next expiry')).toBe('2026-03-01 00:00:00Z');
    expect(r.out).toContain('(the last run could not handle 2 transfers; the log names each)\n');
  });

  it.each([
    [
      { aofRewriteDueSince: '2026-01-05T10:00:00.000Z' },
      'erased data waits for an append-only file rewrite since 2026-01-05 10:00:00Z; requested at the next run',
    ],
    [
      { aofRewriteDueSince: '2026-01-05T10:30:00.000Z', aofRewriteRequestedAt: '2026-01-05T10:00:00.000Z' },
      'erased data waits for an append-only file rewrite since 2026-01-05 10:30:00Z; ' +
        'the last rewrite was requested 2026-01-05 10:00:00Z (at most one an hour)',
    ],
    [
      {
        aofRewriteDueSince: '2026-01-05T10:00:00.000Z',
        aofRewriteError: 'ERR Background append only file rewriting already in progress',
      },
      'erased data waits for an append-only file rewrite since 2026-01-05 10:00:00Z; Redis refused the last ' +
        'request (asked again next run): ERR Background append only file rewriting already in progress',
    ],
    [
      { aofRewriteRequestedAt: '2026-01-05T10:00:00.000Z', aofRewriteResult: 'requested' },
      'append-only file rewrite requested 2026-01-05 10:00:00Z, after the last purge',
    ],
    [
      { aofRewriteRequestedAt: '2026-01-05T10:00:00.000Z', aofRewriteResult: 'aof_off' },
      'Redis keeps no append-only file: erased data is off the disk',
    ],
  ])('disk %j', async (disk, text) => {
    const r = await retention({ ...BASE, disk: { ...BASE.disk, ...disk } });
    expect(field(r.out, 'disk')).toBe(text);
  });

  it('--rules adds every bound; --json prints the answer as it came', async () => {
    const rules = await retention(BASE, ['--rules']);
    expect(rules.out).toContain(
      '\nwhat the gateway keeps, and for how long:\n\n' +
        '  A thing\n    kept  3 days (THING_DAYS)\n    why   because\n\n' +
        '  Another\n    kept  a while\n    why   why not\n',
    );
    const extra = { ...BASE, addedLater: { x: 1 } };
    const json = await retention(extra, ['--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toEqual(extra);
  });

  it('a control character from the answer is not printed raw', async () => {
    const r = await retention({
      ...BASE,
      disk: {
        ...BASE.disk,
        aofRewriteDueSince: '2026-01-05T10:00:00.000Z',
        aofRewriteError: 'bad\u001b[2Jthing',
      },
    });
    expect(r.out).not.toContain('\u001b');
    expect(r.out).toContain('bad\ufffd[2Jthing');
  });

  it('an answer that is not the retention status is refused (exit 1)', async () => {
    const r = await retention({ items: [] });
    expect(r.code).toBe(1);
    expect(r.err).toContain('UNEXPECTED_RESPONSE');
    expect(r.out).toBe('');
  });
});
