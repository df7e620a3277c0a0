/**
 * The conformance suite every adapter passes against its own simulator over loopback HTTP: the same
 * expectations, whatever the partner's wire format. Capability-dependent parts branch on the
 * adapter's `capabilities`, never on its id.
 */
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SubmitRequest, Target, TransferAdapter } from '../../adapters/adapter.js';
import { PartnerProtocolError, PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
import type {
  Decision,
  RateLimit,
  SimOrg,
  SimulatorControl,
  SimulatorHandle,
} from '../../adapters/sim/types.js';
import { OrgCache } from '../../src/delivery/org-cache.js';
import { PartnerCaller } from '../../src/delivery/partner-caller.js';
import {
  RESOLVE_LIMITS,
  resolveDestination,
  type ResolverPartner,
} from '../../src/delivery/resolve-destination.js';
import { startReceiver, type Receiver } from './receiver.js';

export interface StartOptions {
  gatewayUrl: string;
  callbackSecret: string;
  decision: Decision;
  localReportDelayMs?: number;
  rateLimit?: RateLimit;
  /** The partner's org directory instead of its fixture. */
  orgs?: SimOrg[];
}

export interface ContractSubject {
  target: Target;
  provinceCode: string;
  start(o: StartOptions): Promise<SimulatorHandle<SimulatorControl>>;
  adapter(baseUrl: string, o?: { timeoutMs?: number; wrongSecret?: boolean }): TransferAdapter;
  /**
   * A fixture org; a part of its exact spelling, literally in its name (brackets included; the full
   * name when not given); the same part and the full name as a member might type them (other widths,
   * spaces, brackets): canonically equal to the exact ones, but not literally the partner's spelling.
   */
  knownOrg: {
    orgId: string;
    fullName: string;
    exactQuery?: string;
    messyQuery: string;
    messyFullName: string;
  };
  /**
   * The adapter sends a search keyword to the partner as given (the built-in adapters do). The suite
   * then proves through it that the partner's search is literal: the messy query finds nothing there.
   * An adapter that turns a query into the partner's literal keyword itself leaves this unset.
   */
  verbatimSearch?: boolean;
}

export const CALLBACK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const silent = { warn: () => undefined };
export const quietLogger = silent;

let seq = 0;
export function submitRequest(s: ContractSubject, over: Partial<SubmitRequest> = {}): SubmitRequest {
  seq++;
  return {
    transferId: `trf_${s.target}_${Date.now()}_${seq}`,
    externalRef: `BJ-2025-${String(seq).padStart(6, '0')}`,
    member: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000' },
    initiator: { kind: 'member' },
    source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
    destination: { provinceCode: s.provinceCode, orgFullName: s.knownOrg.fullName },
    reason: { kind: 'employed_with_org', employerName: '某某科技有限公司' },
    irreversible: false,
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function adapterContract(s: ContractSubject): void {
  describe(`${s.target} adapter against its simulator`, () => {
    let receiver: Receiver;
    let sim: SimulatorHandle<SimulatorControl>;
    let adapter: TransferAdapter;

    beforeAll(async () => {
      receiver = await startReceiver(CALLBACK_SECRET);
    });
    afterAll(() => receiver.close());
    beforeEach(async () => {
      sim = await s.start({
        gatewayUrl: receiver.url,
        callbackSecret: CALLBACK_SECRET,
        decision: { mode: 'never' },
      });
      adapter = s.adapter(sim.url);
    });
    afterEach(() => sim.close());

    it('submits once: a resubmission is a duplicate with the same ref and one partner record', async () => {
      const req = submitRequest(s);
      const first = await adapter.submit(req);
      const again = await adapter.submit(req);
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ partnerRef: first.partnerRef, duplicate: true });
      expect(sim.state.records.size).toBe(1);
      expect(sim.state.records.get(req.transferId)?.submissions).toBe(2);
      expect(sim.state.counts.duplicates).toBe(1);
    });

    it('calls onSend just before each submission leaves, and only then', async () => {
      const req = submitRequest(s);
      const seen: number[] = [];
      const onSend = () => {
        // The partner has not received it yet when onSend runs: attempts are counted first.
        seen.push(sim.state.records.get(req.transferId)?.submissions ?? 0);
        return Promise.resolve();
      };
      await adapter.submit(req, { onSend });
      await adapter.submit(req, { onSend });
      expect(seen).toEqual([0, 1]);
      expect(sim.state.records.get(req.transferId)?.submissions).toBe(2);
      // A failing onSend stops the request: nothing leaves, and its own error comes back as is.
      const other = submitRequest(s);
      const failure = new Error('store unreachable');
      expect(await rejection(adapter.submit(other, { onSend: () => Promise.reject(failure) }))).toBe(failure);
      expect(sim.state.records.has(other.transferId)).toBe(false);
    });

    const known = () => ({ orgId: s.knownOrg.orgId, fullName: s.knownOrg.fullName });

    it('searches literally: a part of the exact spelling finds the org, the same part typed otherwise does not', async () => {
      const exact = s.knownOrg.exactQuery ?? s.knownOrg.fullName;
      expect(await adapter.searchOrgs(s.provinceCode, exact, { limit: 5 })).toContainEqual(known());
      // Strict like the partner's database: no width, space or bracket folding in its search.
      if (s.verbatimSearch) {
        expect(
          await adapter.searchOrgs(s.provinceCode, s.knownOrg.messyQuery, { limit: 50 }),
        ).not.toContainEqual(known());
      }
      expect(await adapter.searchOrgs(s.provinceCode, '不存在的组织名称XYZ')).toEqual([]);
    });

    it('checks an org name per its capability: the exact spelling exists, a near one does not', async () => {
      if (!adapter.capabilities.checkOrg) {
        const err = await rejection(adapter.checkOrg(s.provinceCode, s.knownOrg.fullName));
        expect(err).toBeInstanceOf(PermanentPartnerError);
        expect((err as PermanentPartnerError).code).toBe('CAPABILITY_NOT_SUPPORTED');
        return;
      }
      expect(await adapter.checkOrg(s.provinceCode, s.knownOrg.fullName)).toEqual({
        result: 'exists',
        org: known(),
      });
      // Another width or bracket style is another name to the partner; it suggests the org meant.
      for (const near of [s.knownOrg.messyFullName, s.knownOrg.fullName.replace('委员会', '委会')]) {
        const miss = await adapter.checkOrg(s.provinceCode, near);
        expect(miss.result, near).toBe('not_found');
        expect(miss.result === 'not_found' && miss.suggestions).toContainEqual(known());
      }
    });

    it('refuses a near spelling of one of its orgs as ORG_NOT_FOUND, and an org id that is not the named org', async () => {
      for (const destination of [
        { provinceCode: s.provinceCode, orgFullName: s.knownOrg.messyFullName },
        { provinceCode: s.provinceCode, orgFullName: s.knownOrg.messyFullName, orgId: s.knownOrg.orgId },
        { provinceCode: s.provinceCode, orgFullName: s.knownOrg.fullName, orgId: `${s.knownOrg.orgId}9` },
      ]) {
        const err = await rejection(adapter.submit(submitRequest(s, { destination })));
        expect(err, JSON.stringify(destination)).toBeInstanceOf(PermanentPartnerError);
        expect((err as PermanentPartnerError).code).toBe('ORG_NOT_FOUND');
      }
      expect(sim.state.records.size).toBe(0);
      const exact = submitRequest(s, {
        destination: {
          provinceCode: s.provinceCode,
          orgFullName: s.knownOrg.fullName,
          orgId: s.knownOrg.orgId,
        },
      });
      expect((await adapter.submit(exact)).duplicate).toBe(false);
      expect(sim.state.records.get(exact.transferId)).toMatchObject({
        orgId: s.knownOrg.orgId,
        orgFullName: s.knownOrg.fullName,
      });
    });

    it('refuses an unknown destination org as ORG_NOT_FOUND', async () => {
      const req = submitRequest(s, {
        destination: { provinceCode: s.provinceCode, orgFullName: '共青团不存在的组织委员会' },
      });
      const err = await rejection(adapter.submit(req));
      expect(err).toBeInstanceOf(PermanentPartnerError);
      expect((err as PermanentPartnerError).code).toBe('ORG_NOT_FOUND');
      expect(sim.state.records.size).toBe(0);
    });

    it('reports status: not found, pending, then the decision', async () => {
      const req = submitRequest(s);
      expect(await adapter.fetchStatus({ transferId: req.transferId })).toEqual({ status: 'not_found' });
      const { partnerRef } = await adapter.submit(req);
      expect(await adapter.fetchStatus({ transferId: req.transferId, partnerRef })).toMatchObject({
        status: 'pending',
        partnerRef,
      });
      sim.control.decide(req.transferId, 'approve');
      const approved = await adapter.fetchStatus({ transferId: req.transferId });
      expect(approved.status).toBe(adapter.capabilities.localReport ? 'awaiting_local_report' : 'approved');
      expect(approved.at).toMatch(/Z$/);
      if (adapter.capabilities.localReport) {
        sim.control.completeLocalReport(req.transferId);
        expect((await adapter.fetchStatus({ transferId: req.transferId })).status).toBe(
          'local_report_completed',
        );
      }
      const other = submitRequest(s);
      await adapter.submit(other);
      sim.control.decide(other.transferId, 'reject', '材料不全');
      expect(await adapter.fetchStatus({ transferId: other.transferId })).toMatchObject({
        status: 'rejected',
        reason: '材料不全',
      });
    });

    it('decides on its own after the configured delay and posts signed callbacks the adapter parses', async () => {
      await sim.close();
      sim = await s.start({
        gatewayUrl: receiver.url,
        callbackSecret: CALLBACK_SECRET,
        decision: { mode: 'approve', delayMs: 20 },
        localReportDelayMs: 40,
      });
      adapter = s.adapter(sim.url);
      const req = submitRequest(s);
      const { partnerRef } = await adapter.submit(req);
      const approved = await receiver.waitFor(
        (c) => c.target === s.target && c.body !== null && JSON.stringify(c.body).includes(req.transferId),
      );
      expect(adapter.parseCallback(approved.body)).toMatchObject({
        type: 'approved',
        transferId: req.transferId,
        partnerRef,
      });
      // What follows an approval depends on what the partner does: a local report, an account, or nothing.
      const follow = adapter.capabilities.localReport
        ? (['member.local_report_completed', 'local_report_completed'] as const)
        : adapter.capabilities.accountCreation
          ? (['member.account_created', 'account_created'] as const)
          : undefined;
      if (follow) {
        const next = await receiver.waitFor(
          (c) =>
            JSON.stringify(c.body).includes(req.transferId) && JSON.stringify(c.body).includes(follow[0]),
        );
        const event = adapter.parseCallback(next.body);
        expect(event).toMatchObject({ type: follow[1], transferId: req.transferId, partnerRef });
        expect('at' in event && event.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      } else {
        expect(adapter.parseCallback(approved.body)).toMatchObject({
          at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        });
      }
      expect(receiver.refused).toEqual([]);
    });

    it('posts a rejection callback with its reason', async () => {
      sim.control.setDecision({ mode: 'reject', delayMs: 0, reason: '不属于本组织接收范围' });
      const req = submitRequest(s);
      await adapter.submit(req);
      const cb = await receiver.waitFor((c) => JSON.stringify(c.body).includes(req.transferId));
      expect(adapter.parseCallback(cb.body)).toMatchObject({
        type: 'rejected',
        transferId: req.transferId,
        reason: '不属于本组织接收范围',
      });
    });

    it('keeps its records when the gateway is down for callbacks', async () => {
      await sim.close();
      sim = await s.start({
        gatewayUrl: 'http://127.0.0.1:9',
        callbackSecret: CALLBACK_SECRET,
        decision: { mode: 'approve', delayMs: 0 },
      });
      adapter = s.adapter(sim.url);
      const req = submitRequest(s);
      await adapter.submit(req);
      await eventually(
        () => Promise.resolve(sim.state.records.get(req.transferId)?.status),
        (status) => status !== 'pending',
      );
      await sim.control.settle();
      expect(sim.state.callbacks.length).toBeGreaterThan(0);
      expect(sim.state.callbacks.every((c) => c.outcome === 'failed' && c.attempts > 1)).toBe(true);
      expect((await adapter.fetchStatus({ transferId: req.transferId })).status).not.toBe('not_found');
    }, 20_000);

    it('withdraws per its capability', async () => {
      const req = submitRequest(s);
      const { partnerRef } = await adapter.submit(req);
      if (!adapter.capabilities.withdraw) {
        const err = await rejection(adapter.withdraw({ transferId: req.transferId, partnerRef }));
        expect((err as PermanentPartnerError).code).toBe('CAPABILITY_NOT_SUPPORTED');
        return;
      }
      await adapter.withdraw({ transferId: req.transferId, partnerRef });
      expect((await adapter.fetchStatus({ transferId: req.transferId })).status).toBe('withdrawn');

      const decided = submitRequest(s);
      const d = await adapter.submit(decided);
      sim.control.decide(decided.transferId, 'approve');
      const late = await rejection(
        adapter.withdraw({ transferId: decided.transferId, partnerRef: d.partnerRef }),
      );
      expect((late as PermanentPartnerError).code).toBe('DECISION_ALREADY_MADE');

      const enlist = submitRequest(s, {
        reason: { kind: 'enlistment', reviewingProvinceCode: s.provinceCode },
        initiator: { kind: 'branch', branchOrgId: 'bj-00042-01', operatorId: 'op-7' },
        irreversible: true,
      });
      const e = await adapter.submit(enlist);
      const never = await rejection(
        adapter.withdraw({ transferId: enlist.transferId, partnerRef: e.partnerRef }),
      );
      expect((never as PermanentPartnerError).code).toBe('WITHDRAW_NOT_ALLOWED');
    });

    describe('the gateway resolver against this partner', () => {
      let caller: PartnerCaller;
      beforeEach(() => {
        caller = new PartnerCaller(
          s.target,
          {
            errorThresholdPercentage: 50,
            volumeThreshold: 10,
            resetTimeoutMs: 10_000,
            rollingWindowMs: 10_000,
          },
          undefined,
          pino({ level: 'silent' }),
        );
      });
      afterEach(() => caller.shutdown());
      const partner = (): ResolverPartner => ({
        id: s.target,
        capabilities: adapter.capabilities,
        adapter,
        caller,
      });
      /** Org lookups the partner answered (its check and its search). */
      const lookups = () =>
        (sim.state.counts.byRoute.orgCheck ?? 0) + (sim.state.counts.byRoute.orgSearch ?? 0);

      it('resolves a messy spelling to the exact org, which the partner then takes where it refuses the typed name', async () => {
        const r = await resolveDestination(partner(), s.provinceCode, s.knownOrg.messyFullName);
        expect(r).toEqual({ kind: 'resolved', org: known() });
        expect(lookups()).toBeGreaterThan(0);
        expect(lookups()).toBeLessThanOrEqual(RESOLVE_LIMITS.maxRequests);

        const typed = submitRequest(s, {
          destination: { provinceCode: s.provinceCode, orgFullName: s.knownOrg.messyFullName },
        });
        const err = await rejection(adapter.submit(typed));
        expect((err as PermanentPartnerError).code).toBe('ORG_NOT_FOUND');
        expect(sim.state.records.has(typed.transferId)).toBe(false);

        if (r.kind !== 'resolved') return;
        const resolved = submitRequest(s, {
          destination: { provinceCode: s.provinceCode, orgFullName: r.org.fullName, orgId: r.org.orgId },
        });
        expect((await adapter.submit(resolved)).duplicate).toBe(false);
        expect(sim.state.records.get(resolved.transferId)).toMatchObject({
          orgId: s.knownOrg.orgId,
          orgFullName: s.knownOrg.fullName,
        });
      });

      it('resolves the exact spelling in one lookup', async () => {
        expect(await resolveDestination(partner(), s.provinceCode, s.knownOrg.fullName)).toEqual({
          kind: 'resolved',
          org: known(),
        });
        expect(lookups()).toBe(1);
      });

      it('answers not_found with near names for a name the partner does not hold', async () => {
        const unknown = s.knownOrg.fullName.replace(/委员会$/u, '委员会办公室');
        const r = await resolveDestination(partner(), s.provinceCode, unknown);
        expect(r.kind).toBe('not_found');
        expect(r.kind === 'not_found' && r.suggestions).toContainEqual(known());
        expect(lookups()).toBeLessThanOrEqual(RESOLVE_LIMITS.maxRequests);
        const err = await rejection(
          adapter.submit(
            submitRequest(s, { destination: { provinceCode: s.provinceCode, orgFullName: unknown } }),
          ),
        );
        expect((err as PermanentPartnerError).code).toBe('ORG_NOT_FOUND');
      });

      it('a cached resolution asks the partner nothing', async () => {
        const cache = new OrgCache();
        await resolveDestination(partner(), s.provinceCode, s.knownOrg.messyFullName, { cache });
        const asked = lookups();
        expect(
          await resolveDestination(partner(), s.provinceCode, s.knownOrg.messyFullName, { cache }),
        ).toEqual({
          kind: 'resolved',
          org: known(),
        });
        expect(lookups()).toBe(asked);
      });

      it('is ambiguous between canonically equal orgs of its directory; each exact spelling is its own org', async () => {
        await sim.close();
        const twins: SimOrg[] = [
          {
            orgId: `${s.knownOrg.orgId.slice(0, -1)}8`,
            fullName: '共青团某某（集团）委员会',
            provinceCode: s.provinceCode,
          },
          {
            orgId: `${s.knownOrg.orgId.slice(0, -1)}9`,
            fullName: '共青团某某(集团)委员会',
            provinceCode: s.provinceCode,
          },
        ];
        sim = await s.start({
          gatewayUrl: receiver.url,
          callbackSecret: CALLBACK_SECRET,
          decision: { mode: 'never' },
          orgs: [{ ...known(), provinceCode: s.provinceCode }, ...twins],
        });
        adapter = s.adapter(sim.url);
        const r = await resolveDestination(partner(), s.provinceCode, '共青团某某 〔集团〕 委员会');
        expect(r.kind).toBe('ambiguous');
        expect(
          r.kind === 'ambiguous' && [...r.candidates].sort((a, b) => a.orgId.localeCompare(b.orgId)),
        ).toEqual(twins.map(({ orgId, fullName }) => ({ orgId, fullName })));
        for (const twin of twins) {
          const exact = await resolveDestination(partner(), s.provinceCode, twin.fullName);
          expect(exact).toEqual({ kind: 'resolved', org: { orgId: twin.orgId, fullName: twin.fullName } });
          const req = submitRequest(s, {
            destination: { provinceCode: s.provinceCode, orgFullName: twin.fullName, orgId: twin.orgId },
          });
          await adapter.submit(req);
          expect(sim.state.records.get(req.transferId)?.orgId).toBe(twin.orgId);
        }
      });
    });

    describe('faults map to typed errors', () => {
      it('down → retryable 5xx', async () => {
        sim.control.setFaults({ down: true });
        const err = await rejection(adapter.submit(submitRequest(s)));
        expect(err).toBeInstanceOf(RetryablePartnerError);
        expect(err).toMatchObject({ code: 'PARTNER_UNAVAILABLE', status: 503, retryable: true });
        expect(sim.state.records.size).toBe(0);
      });

      it('slow → timeout, retryable; the partner kept the request, so the retry is a duplicate', async () => {
        const impatient = s.adapter(sim.url, { timeoutMs: 200 });
        await impatient.searchOrgs(s.provinceCode, '团'); // warm up: a national token is not the point here
        sim.control.setFaults({ slow: { ms: 1000 } });
        const req = submitRequest(s);
        const err = await rejection(impatient.submit(req));
        expect(err).toBeInstanceOf(RetryablePartnerError);
        expect(err).toMatchObject({ code: 'TIMEOUT', timeout: true });
        sim.control.clearFaults();
        expect(await impatient.submit(req)).toMatchObject({ duplicate: true });
        expect(sim.state.records.size).toBe(1);
      });

      it('malformed → protocol error, never a crash', async () => {
        for (const kind of ['invalid_json', 'wrong_shape'] as const) {
          sim.control.setFaults({ malformed: { kind } });
          const err = await rejection(adapter.searchOrgs(s.provinceCode, '团'));
          expect(err).toBeInstanceOf(PartnerProtocolError);
          expect((err as PartnerProtocolError).retryable).toBe(true);
        }
      });

      it('rate_limited → retryable with retryAfterMs', async () => {
        sim.control.setFaults({ rate_limited: { retryAfterSeconds: 7 } });
        const err = await rejection(adapter.submit(submitRequest(s)));
        expect(err).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 7000, retryable: true });
        expect(sim.state.counts.rateLimited).toBe(1);
      });

      it('reject → permanent with the partner reason', async () => {
        sim.control.setFaults({ reject: { reason: '该团员已有进行中的转接申请' } });
        const err = await rejection(adapter.submit(submitRequest(s)));
        expect(err).toBeInstanceOf(PermanentPartnerError);
        expect(err).toMatchObject({
          code: 'REJECTED',
          partnerReason: '该团员已有进行中的转接申请',
          retryable: false,
        });
      });

      it('flaky at 100% → 500 or reset, both retryable', async () => {
        sim.control.setFaults({ flaky: { percent: 100, mode: 'error' } });
        expect(await rejection(adapter.searchOrgs(s.provinceCode, '团'))).toMatchObject({
          code: 'PARTNER_UNAVAILABLE',
          status: 500,
        });
        sim.control.setFaults({ flaky: { percent: 100, mode: 'reset' } });
        expect(await rejection(adapter.searchOrgs(s.provinceCode, '团'))).toMatchObject({
          code: 'NETWORK_ERROR',
          retryable: true,
        });
      });

      it('the simulator-side rate limit answers 429 above it and counts them', async () => {
        sim.control.setFaults({ rate_limit: { perSecond: 1, burst: 2 } });
        const results = await Promise.allSettled(
          [1, 2, 3, 4].map(() => adapter.searchOrgs(s.provinceCode, '团')),
        );
        expect(results.filter((r) => r.status === 'rejected')).not.toHaveLength(0);
        expect(sim.state.counts.rateLimited).toBeGreaterThanOrEqual(1);
      });

      it('the caller can abort a request', async () => {
        sim.control.setFaults({ slow: { ms: 1000 } });
        const err = await rejection(
          adapter.searchOrgs(s.provinceCode, '团', { signal: AbortSignal.timeout(50) }),
        );
        expect(err).toMatchObject({ code: 'ABORTED', retryable: true });
      });

      it('wrong credentials → AUTH_FAILED, retryable', async () => {
        const err = await rejection(
          s.adapter(sim.url, { wrongSecret: true }).searchOrgs(s.provinceCode, '团'),
        );
        expect(err).toMatchObject({ code: 'AUTH_FAILED', retryable: true });
        expect(sim.state.counts.authFailures).toBeGreaterThan(0);
      });

      it('the control endpoint sets, reports and clears faults over HTTP', async () => {
        const post = await fetch(`${sim.url}/__control/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ down: true }),
        });
        expect(post.status).toBe(200);
        await rejection(adapter.searchOrgs(s.provinceCode, '团'));
        expect((await fetch(`${sim.url}/__control/faults`, { method: 'DELETE' })).status).toBe(204);
        expect(await adapter.searchOrgs(s.provinceCode, '团')).not.toHaveLength(0);
        const state = (await (await fetch(`${sim.url}/__control/state`)).json()) as {
          counts: { down: number };
        };
        expect(state.counts.down).toBe(1);
        const bad = await fetch(`${sim.url}/__control/faults`, {
          method: 'POST',
          body: JSON.stringify({ flaky: { percent: 200 } }),
        });
        expect(bad.status).toBe(400);
      });
    });

    it('parses unknown callback types as unsupported and malformed ones as protocol errors', () => {
      expect(adapter.parseCallback({ type: 'member.birthday', data: { transferId: 't' } })).toEqual({
        type: 'unsupported',
        description: expect.stringContaining('member.birthday'),
      });
      expect(() => adapter.parseCallback({ type: 'transfer.approved' })).toThrow(PartnerProtocolError);
      expect(() => adapter.parseCallback('nonsense')).toThrow(PartnerProtocolError);
    });
  });
}
