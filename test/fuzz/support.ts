/**
 * What the three fuzz suites share: scale and seed, a raw HTTP client (every byte of the request is the
 * generator's: duplicate headers, malformed percent-encodings, chunked bodies), the checks every answer
 * must pass, fixture transfers in every state, and the per-kind report.
 *
 * Scale: FUZZ_SCALE=full → 10,000 generated requests per kind (npm run test:fuzz). Anything else is
 * `quick`, what CI runs. Measured on this 2-core machine (Intel Xeon, Node 20, Redis 7; gateway, client,
 * simulators and Redis sharing the cores): the whole full-scale project — 3 × 10,000 requests plus
 * replays, gateways, ~1,400 fixture transfers — runs in about 55 s (intake ≈ 22 s, callbacks ≈ 14 s,
 * routes ≈ 11 s, the rest start-up), well under the ~3 minutes allowed, so quick is 10,000 per kind
 * too: CI gets the same guarantee as a full run. FUZZ_SEED overrides the fixed seed; every run prints
 * its seed, so any failure can be repeated exactly.
 */
import { request, Agent, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'vitest';
import { checkDigit } from '../../src/domain/id-number.js';
import { STATES, type TransferState } from '../../src/domain/transfer.js';
import { TARGETS, type BuiltInTarget as Target } from '../helpers/partners.js';
import { pendingLocalReport } from '../../src/usecases/local-reports.js';
import { transferBody } from '../helpers/bodies.js';
import { KEYS, type TestGateway } from '../helpers/gateway.js';

export const SCALE: 'full' | 'quick' = process.env.FUZZ_SCALE === 'full' ? 'full' : 'quick';
const FULL_RUNS = 10_000;
/** Quick equals full: the full project runs in under a minute here (see above). */
const QUICK_RUNS = 10_000;
/** Generated requests per kind. */
export const RUNS = SCALE === 'full' ? FULL_RUNS : QUICK_RUNS;
const DEFAULT_SEED = 20_260_611;
export const SEED = parseSeed(process.env.FUZZ_SEED);
/** Requests in flight at once: enough to keep both cores busy, and to let requests race. */
export const CONCURRENCY = 8;

function parseSeed(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_SEED;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got ${raw}`);
  return n | 0;
}

export function announce(kind: string): void {
  console.log(
    `${kind}: seed ${SEED} (FUZZ_SEED=${SEED} repeats it), scale ${SCALE}, ${RUNS} requests, concurrency ${CONCURRENCY}`,
  );
}

// --- raw HTTP ------------------------------------------------------------------------------------

export interface RawRequest {
  method: string;
  /** Sent as is: percent-encodings good and bad, repeated query parameters. */
  path: string;
  /** In order, duplicates kept. Host and Content-Length are added unless present. */
  headers: [string, string][];
  body?: Buffer;
  /** Send the body in two chunks with Transfer-Encoding: chunked and no Content-Length. */
  chunked?: boolean;
}

export interface RawResponse {
  /** 0 when no answer arrived (the connection failed or timed out). */
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  error?: string;
}

export interface Target127 {
  port: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY * 2 });

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

export function send(to: Target127, req: RawRequest): Promise<RawResponse> {
  const names = new Set(req.headers.map(([k]) => k.toLowerCase()));
  const headers: string[] = [];
  if (!names.has('host')) headers.push('Host', `127.0.0.1:${to.port}`);
  for (const [k, v] of req.headers) headers.push(k, v);
  if (req.chunked && !names.has('transfer-encoding')) headers.push('Transfer-Encoding', 'chunked');
  // Without a body, say so (Node would otherwise send an empty chunked body on a POST).
  if (!req.chunked && !names.has('content-length'))
    headers.push('Content-Length', String(req.body?.length ?? 0));
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: RawResponse) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const r = request(
      { host: '127.0.0.1', port: to.port, method: req.method, path: req.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', (err) =>
          done({ status: 0, headers: res.headers, body: Buffer.concat(chunks), error: err.message }),
        );
      },
    );
    r.setTimeout(30_000, () => r.destroy(new Error('no answer within 30 s')));
    r.on('error', (err) => done({ status: 0, headers: {}, body: Buffer.alloc(0), error: err.message }));
    if (req.body && req.chunked) {
      const half = Math.floor(req.body.length / 2);
      r.write(req.body.subarray(0, half));
      r.end(req.body.subarray(half));
    } else if (req.chunked) {
      r.end();
    } else {
      r.end(req.body);
    }
  });
}

/** Runs `work` over every item with at most `concurrency` at once, in order of index. */
export async function pool<T>(
  items: readonly T[],
  work: (item: T, index: number) => Promise<void>,
  concurrency = CONCURRENCY,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!, i);
  });
  await Promise.all(lanes);
}

// --- checks ------------------------------------------------------------------------------------

export const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
const PROBLEM_KEYS = new Set(['type', 'title', 'status', 'detail', 'code', 'errors']);

export function header(res: RawResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function jsonOf(res: RawResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** What is wrong with a 4xx answer as problem+json, or null when nothing is. */
export function problemIssue(req: RawRequest, res: RawResponse): string | null {
  const ct = header(res, 'content-type') ?? '';
  if (!/^application\/problem\+json(\s*;|$)/i.test(ct))
    return `content-type is "${ct}", not application/problem+json`;
  if (req.method === 'HEAD') return null; // no body to read
  const p = jsonOf(res);
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'body is not a JSON object';
  const o = p as Record<string, unknown>;
  const extra = Object.keys(o).filter((k) => !PROBLEM_KEYS.has(k));
  if (extra.length) return `unexpected members ${extra.join(', ')}`;
  if (o.status !== res.status) return `status member ${String(o.status)} ≠ HTTP ${res.status}`;
  if (typeof o.title !== 'string' || !o.title) return 'title missing';
  if (typeof o.detail !== 'string') return 'detail missing';
  if (typeof o.code !== 'string' || !UPPER_SNAKE.test(o.code))
    return `code ${JSON.stringify(o.code)} is not UPPER_SNAKE`;
  const slug = o.code.toLowerCase().replaceAll('_', '-');
  if (typeof o.type !== 'string' || !/^https?:\/\//.test(o.type) || !o.type.endsWith(`/${slug}`))
    return `type ${JSON.stringify(o.type)} is not the stable URI of ${o.code}`;
  if (o.errors !== undefined) {
    if (!Array.isArray(o.errors)) return 'errors is not an array';
    for (const e of o.errors as unknown[]) {
      const fe = e as Record<string, unknown>;
      if (
        typeof fe !== 'object' ||
        fe === null ||
        typeof fe.path !== 'string' ||
        typeof fe.message !== 'string'
      )
        return `field error ${JSON.stringify(e)} lacks path or message`;
      if (fe.code !== undefined && (typeof fe.code !== 'string' || !UPPER_SNAKE.test(fe.code)))
        return `field error code ${JSON.stringify(fe.code)} is not UPPER_SNAKE`;
    }
  }
  return null;
}

export function problemCode(res: RawResponse): string | undefined {
  const p = jsonOf(res) as { code?: unknown } | undefined;
  return typeof p?.code === 'string' ? p.code : undefined;
}

export function fieldErrorPaths(res: RawResponse): string[] {
  const p = jsonOf(res) as { errors?: { path?: unknown }[] } | undefined;
  return Array.isArray(p?.errors) ? p.errors.map((e) => String(e.path)) : [];
}

/**
 * The checks every answer must pass whatever was asked: an answer at all, never 5xx (503 included:
 * Redis is up), and every 4xx a problem+json with a stable code (unless `exempt`: the dashboard's own
 * pages). Returns the problems found.
 */
export function universalIssues(req: RawRequest, res: RawResponse, exempt = false): string[] {
  if (res.status === 0) return [`no answer: ${res.error ?? 'connection failed'}`];
  const issues: string[] = [];
  if (res.status >= 500) issues.push(`answered ${res.status}`);
  if (res.status >= 400 && res.status < 500 && !exempt) {
    const p = problemIssue(req, res);
    if (p) issues.push(`4xx is not a problem: ${p}`);
  }
  return issues;
}

// --- failures and the report -----------------------------------------------------------------

export interface Failure {
  index: number;
  what: string;
  issues: string[];
  request: RawRequest;
  response?: RawResponse;
}

function printable(body: Buffer): string {
  const text = body.toString('utf8');
  const clean = Buffer.from(text, 'utf8').equals(body);
  const shown = JSON.stringify(text.length > 600 ? `${text.slice(0, 600)}…` : text);
  return clean ? shown : `${shown} (not UTF-8; base64 ${body.toString('base64').slice(0, 800)})`;
}

export function describeRequest(req: RawRequest): string {
  const lines = [`${req.method} ${req.path}`];
  for (const [k, v] of req.headers) lines.push(`  ${k}: ${JSON.stringify(v).slice(1, -1)}`);
  if (req.chunked) lines.push('  (body sent chunked)');
  if (req.body) lines.push(`  body (${req.body.length} bytes): ${printable(req.body)}`);
  return lines.join('\n');
}

export function describeResponse(res: RawResponse): string {
  if (res.status === 0) return `no answer (${res.error ?? '?'})`;
  return `${res.status} ${header(res, 'content-type') ?? '(no content-type)'} ${printable(res.body)}`;
}

export class Report {
  readonly statuses = new Map<string, number>();
  readonly codes = new Map<string, number>();
  readonly failures: Failure[] = [];
  requests = 0;
  private readonly started = performance.now();

  constructor(readonly kind: string) {}

  count(res: RawResponse, req?: RawRequest): void {
    this.requests += 1;
    const key = res.status === 0 ? 'no answer' : String(res.status);
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
    if (res.status >= 400) {
      const code = `${res.status} ${problemCode(res) ?? (req?.method === 'HEAD' ? '(HEAD: no body)' : '(no code)')}`;
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    }
  }

  fail(f: Failure): void {
    this.failures.push(f);
  }

  statusOf(code: number): number {
    return this.statuses.get(String(code)) ?? 0;
  }

  summary(): string {
    const parts = [...this.statuses.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s}: ${n}`);
    const s = ((performance.now() - this.started) / 1000).toFixed(1);
    return `${this.kind}: ${this.requests} requests in ${s} s — ${parts.join(', ')}`;
  }

  /** Prints the counts and the first failures with their exact requests. */
  print(): void {
    console.log(this.summary());
    const codes = [...this.codes.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, n]) => `${c}: ${n}`);
    console.log(`${this.kind}: codes — ${codes.join(', ')}`);
    if (this.failures.length === 0) return;
    const byWhat = new Map<string, number>();
    for (const f of this.failures) byWhat.set(f.what, (byWhat.get(f.what) ?? 0) + 1);
    console.log(
      `${this.kind}: ${this.failures.length} failures by case: ${JSON.stringify(Object.fromEntries(byWhat))}`,
    );
    const shown = new Set<string>();
    for (const f of this.failures) {
      const key = `${f.what}|${f.issues.join('|').replace(/\d+/g, '#').slice(0, 120)}`;
      if (shown.has(key) || shown.size >= 12) continue;
      shown.add(key);
      console.log(
        `--- ${this.kind} #${f.index} (${f.what}): ${f.issues.join('; ')}\n${describeRequest(f.request)}\n  → ${
          f.response ? describeResponse(f.response) : '(no response)'
        }`,
      );
    }
  }

  /** Fails the test naming the first few failures. */
  assertClean(): void {
    expect(
      this.failures
        .slice(0, 5)
        .map(
          (f) =>
            `#${f.index} ${f.what}: ${f.issues.join('; ')} — ${f.request.method} ${f.request.path.slice(0, 120)}`,
        ),
      `${this.failures.length} ${this.kind} requests broke the gateway's promises (details printed above)`,
    ).toEqual([]);
  }
}

/** Log lines at level error or fatal, parsed from the gateway's JSON log. */
export function errorLogLines(logs: readonly string[]): string[] {
  const bad: string[] = [];
  for (const chunk of logs) {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      let level: unknown;
      try {
        level = (JSON.parse(line) as { level?: unknown }).level;
      } catch {
        bad.push(`unparseable log line: ${line.slice(0, 300)}`);
        continue;
      }
      if (level === 'error' || level === 'fatal' || (typeof level === 'number' && level >= 50))
        bad.push(line.slice(0, 2000));
    }
  }
  return bad;
}

// --- fixtures --------------------------------------------------------------------------------

/** A destination province code per target. */
export const PROVINCE_OF: Readonly<Record<Target, string>> = {
  national: '31',
  guangdong: '44',
  fujian: '35',
};

/** Facts a transfer may already hold that make a repeated partner word a no-op. */
export interface Flags {
  approved: boolean;
  accountCreated: boolean;
}

export interface Fixture {
  id: string;
  target: Target;
  state: TransferState;
  flags: Flags;
}

let fixtureSeq = 0;

/** A valid ID number whose sequence makes fixtures distinct. */
function fixtureIdNumber(n: number): string {
  const first17 = `310104${1960 + (n % 50)}0${1 + (n % 9)}1${n % 10}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

/**
 * Creates a transfer through the real intake and drives it into `state` with the in-process
 * transitions (as a worker, a callback or an operator would), with the partner facts `flags`.
 */
export async function makeFixture(
  gw: TestGateway,
  target: Target,
  state: TransferState,
  flags: Flags = { approved: false, accountCreated: false },
  overrides: Record<string, unknown> = {},
): Promise<Fixture> {
  const n = ++fixtureSeq;
  const body = transferBody(
    {
      externalRef: `FZ-FIX-${n}`,
      member: { name: '王五', idNumber: fixtureIdNumber(n) },
      destination: { provinceCode: PROVINCE_OF[target], orgFullName: '共青团某某委员会' },
      ...overrides,
    },
    n,
  );
  const res = await send(
    { port: portOf(gw.url) },
    {
      method: 'POST',
      path: '/v1/transfers',
      headers: [
        ['Authorization', `Bearer ${KEYS.beijing}`],
        ['Content-Type', 'application/json'],
        ['Idempotency-Key', `fixture-${n}-${Math.random()}`],
      ],
      body: Buffer.from(JSON.stringify(body)),
    },
  );
  if (res.status !== 202) throw new Error(`fixture intake answered ${describeResponse(res)}`);
  const id = String((jsonOf(res) as { id: string }).id);
  const at = new Date().toISOString();
  const set: Record<string, string> = {};
  if (flags.approved) set.partnerApprovedAt = at;
  if (flags.accountCreated) set.nationalAccountCreated = '1';
  if (state !== 'accepted') {
    set.partnerRef = `P-${id.slice(-10)}`;
    if (state === 'awaiting_local_report')
      set.localReport = JSON.stringify(pendingLocalReport(new Date(), 30));
    if (state === 'failed') set.lastError = JSON.stringify({ code: 'FUZZ_FIXTURE', message: 'fixture', at });
  }
  const outcome = await gw.transitions.apply(id, {
    from: ['accepted'],
    ...(state === 'accepted' ? {} : { to: state }),
    event: { at, type: `fixture_${state}`, source: 'worker' },
    set,
  });
  if (!outcome.ok) throw new Error(`fixture ${id} could not reach ${state}`);
  return { id, target, state, flags };
}

/** Every target in every state, with and without the partner facts, `copies` of each. */
export async function fixtureMatrix(gw: TestGateway, copies = 1): Promise<Fixture[]> {
  const specs: [Target, TransferState, Flags][] = [];
  for (const target of TARGETS)
    for (const state of STATES)
      for (const flags of flagVariants(target))
        for (let i = 0; i < copies; i++) specs.push([target, state, flags]);
  const out: Fixture[] = [];
  await pool(specs, async ([t, s, f]) => {
    out.push(await makeFixture(gw, t, s, f));
  });
  return out;
}

export function flagVariants(target: Target): Flags[] {
  const v: Flags[] = [
    { approved: false, accountCreated: false },
    { approved: true, accountCreated: false },
  ];
  if (target === 'national') v.push({ approved: false, accountCreated: true });
  return v;
}

export interface Snapshot {
  state: TransferState;
  version: number;
}

export async function snapshot(gw: TestGateway, ids: readonly string[]): Promise<Map<string, Snapshot>> {
  const got = await gw.store.getMany(ids);
  return new Map(got.map((t) => [t.doc.id, { state: t.state, version: t.version }]));
}

/** How many transfers the store holds. */
export async function transferCount(gw: TestGateway): Promise<number> {
  return gw.store.count();
}
