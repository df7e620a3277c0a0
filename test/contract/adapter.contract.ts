/**
 * The conformance suite every adapter passes against its own simulator over loopback HTTP: the same
 * expectations, whatever the partner's wire format. Capability-dependent parts branch on the
 * adapter's `capabilities`, never on its id.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SubmitRequest, Target, TransferAdapter } from '../../adapters/adapter.js';
import { PartnerProtocolError, PermanentPartnerError, RetryablePartnerError } from '../../adapters/errors.js';
import type { Decision, RateLimit, SimulatorControl, SimulatorHandle } from '../../adapters/sim/types.js';
import { startReceiver, type Receiver } from './receiver.js';

export interface StartOptions {
  gatewayUrl: string;
  callbackSecret: string;
  decision: Decision;
  localReportDelayMs?: number;
  rateLimit?: RateLimit;
}

export interface ContractSubject {
  target: Target;
  provinceCode: string;
  start(o: StartOptions): Promise<SimulatorHandle<SimulatorControl>>;
  adapter(baseUrl: string, o?: { timeoutMs?: number; wrongSecret?: boolean }): TransferAdapter;
  /** A fixture org, a messy search query for it and a messy spelling of its full name. */
  knownOrg: { orgId: string; fullName: string; messyQuery: string; messyFullName: string };
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

    it('finds a fixture org with messy spacing and width in the query', async () => {
      const orgs = await adapter.searchOrgs(s.provinceCode, s.knownOrg.messyQuery, { limit: 5 });
      expect(orgs).toContainEqual({ orgId: s.knownOrg.orgId, fullName: s.knownOrg.fullName });
      expect(await adapter.searchOrgs(s.provinceCode, '不存在的组织名称XYZ')).toEqual([]);
    });

    it('checks an org name per its capability', async () => {
      if (!adapter.capabilities.checkOrg) {
        const err = await rejection(adapter.checkOrg(s.provinceCode, s.knownOrg.fullName));
        expect(err).toBeInstanceOf(PermanentPartnerError);
        expect((err as PermanentPartnerError).code).toBe('CAPABILITY_NOT_SUPPORTED');
        return;
      }
      expect(await adapter.checkOrg(s.provinceCode, s.knownOrg.messyFullName)).toEqual({
        result: 'exists',
        org: { orgId: s.knownOrg.orgId, fullName: s.knownOrg.fullName },
      });
      const miss = await adapter.checkOrg(s.provinceCode, s.knownOrg.fullName.replace('委员会', '委会'));
      expect(miss.result).toBe('not_found');
      expect(miss.result === 'not_found' && miss.suggestions).toContainEqual({
        orgId: s.knownOrg.orgId,
        fullName: s.knownOrg.fullName,
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
      const follow = adapter.capabilities.localReport
        ? 'member.local_report_completed'
        : 'member.account_created';
      const next = await receiver.waitFor(
        (c) => JSON.stringify(c.body).includes(req.transferId) && JSON.stringify(c.body).includes(follow),
      );
      const event = adapter.parseCallback(next.body);
      expect(event).toMatchObject({
        type: adapter.capabilities.localReport ? 'local_report_completed' : 'account_created',
        transferId: req.transferId,
        partnerRef,
      });
      expect('at' in event && event.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
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
