/**
 * A simulator of Guangdong's league system speaking its wire format (./wire.ts): every request's
 * signature, timestamp and nonce checked as the partner does, always-200 envelopes, local
 * reporting after approval, and Standard-Webhooks callbacks to the gateway. Apply takes only an
 * org's exact name (and its code, when given, must be that org's); the search matches literally.
 */
import { timingSafeEqual } from 'node:crypto';
import orgsFixture from '../../fixtures/orgs/guangdong.json' with { type: 'json' };
import { boot, parseJsonBody, queryParams, refCounter, type SimContext } from '../sim/boot.js';
import type { SimAnswer, SimRequest } from '../sim/server.js';
import type { BaseSimulatorOptions, SimRecord, SimulatorControl, SimulatorHandle } from '../sim/types.js';
import {
  APPLY_STATUS,
  HEADERS,
  MAX_CLOCK_SKEW_MS,
  PATHS,
  applyRequestSchema,
  cancelRequestSchema,
  envelope,
  queryRequestSchema,
  sign,
  toGdTime,
  type ApplyStatus,
  type CodeName,
} from './wire.js';

export type GuangdongSimulatorOptions = BaseSimulatorOptions<{ appId: string; appSecret: string }>;

const STATUS: Record<SimRecord['status'], ApplyStatus['applyStatus']> = {
  pending: APPLY_STATUS.PENDING,
  approved: APPLY_STATUS.APPROVED,
  rejected: APPLY_STATUS.REJECTED,
  reported: APPLY_STATUS.REPORTED,
  withdrawn: APPLY_STATUS.CANCELLED,
  expired: APPLY_STATUS.EXPIRED,
};

const answer = (code: CodeName, msg: string, data: unknown = null): SimAnswer => ({
  status: 200,
  body: envelope(code, msg, data),
});

function view(r: SimRecord): ApplyStatus {
  return {
    applyNo: r.partnerRef,
    requestNo: r.requestId,
    applyStatus: STATUS[r.status],
    auditOpinion: r.status === 'rejected' ? (r.reason ?? null) : null,
    auditTime: r.decidedAt ? toGdTime(r.decidedAt) : null,
    reportTime: r.reportedAt ? toGdTime(r.reportedAt) : null,
  };
}

export async function startSimulator(
  options: GuangdongSimulatorOptions,
): Promise<SimulatorHandle<SimulatorControl>> {
  const nonces = new Map<string, number>();
  const nextRef = refCounter((date) => `GDZJ${date}`);

  const routes = ({ server, state, lifecycle, orgs }: SimContext): void => {
    /** The partner's gate: app id, clock, replay and signature, in that order. */
    const verify = (req: SimRequest): SimAnswer | undefined => {
      const h = (name: string): string => {
        const v = req.headers[name];
        return typeof v === 'string' ? v : '';
      };
      const refuse = (code: CodeName, msg: string): SimAnswer => {
        state.counts.authFailures++;
        return answer(code, msg);
      };
      const [appId, timestamp, nonce, signature] = [
        h(HEADERS.appId),
        h(HEADERS.timestamp),
        h(HEADERS.nonce),
        h(HEADERS.sign),
      ];
      if (appId !== options.credentials.appId) return refuse('APP_FORBIDDEN', '应用未授权');
      const now = Date.now();
      if (!/^\d{13}$/.test(timestamp) || Math.abs(now - Number(timestamp)) > MAX_CLOCK_SKEW_MS) {
        return refuse('TIMESTAMP_EXPIRED', '时间戳无效');
      }
      for (const [n, until] of nonces) if (until < now) nonces.delete(n);
      if (!/^[0-9a-f]{16,64}$/.test(nonce) || nonces.has(nonce)) return refuse('NONCE_REUSED', '随机数重复');
      const expected = sign(options.credentials.appSecret, {
        method: req.method,
        path: req.path,
        rawQuery: req.rawQuery,
        timestamp,
        nonce,
        body: req.rawBody,
      });
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) {
        return refuse('SIGN_INVALID', '签名错误');
      }
      nonces.set(nonce, now + MAX_CLOCK_SKEW_MS);
      return undefined;
    };
    const json = (req: SimRequest): unknown => {
      const parsed = parseJsonBody(req.rawBody);
      return parsed.ok ? parsed.value : undefined;
    };

    server.route('post', PATHS.apply, 'submit', (req) => {
      const denied = verify(req);
      if (denied) return denied;
      const parsed = applyRequestSchema.safeParse(json(req));
      if (!parsed.success)
        return answer(
          'PARAM_INVALID',
          `参数错误: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
        );
      const app = parsed.data;
      state.counts.submissions++;
      const existing = state.records.get(app.requestNo);
      if (existing) {
        state.counts.duplicates++;
        existing.submissions++;
        return answer('DUPLICATE_REQUEST', '重复请求', { applyNo: existing.partnerRef });
      }
      const rejectReason = server.faults.rejectReason;
      if (rejectReason) {
        state.counts.rejectedByFault++;
        return answer('BUSINESS_REJECTED', rejectReason);
      }
      // Only its exact spelling of an org (it has no name check: this is where a near name fails).
      const to = orgs.find('44', app.inOrgName);
      if (!to) return answer('ORG_NOT_FOUND', '未查询到该组织');
      if (app.inOrgCode !== undefined && app.inOrgCode !== to.orgId)
        return answer('ORG_NOT_FOUND', '组织编码与组织名称不符');
      const now = new Date();
      const record: SimRecord = {
        requestId: app.requestNo,
        partnerRef: nextRef(),
        provinceCode: '44',
        orgId: to.orgId,
        orgFullName: to.fullName,
        idNumber: app.idCardNo,
        irreversible: app.irrevocable === 1,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
        submissions: 1,
      };
      state.records.set(record.requestId, record);
      lifecycle.admit(record);
      return answer('OK', '成功', { applyNo: record.partnerRef });
    });

    server.route('post', PATHS.query, 'status', (req) => {
      const denied = verify(req);
      if (denied) return denied;
      const parsed = queryRequestSchema.safeParse(json(req));
      if (!parsed.success) return answer('PARAM_INVALID', '参数错误');
      const record = state.records.get(parsed.data.requestNo);
      return record ? answer('OK', '成功', view(record)) : answer('APPLY_NOT_FOUND', '申请不存在');
    });

    server.route('post', PATHS.cancel, 'withdraw', (req) => {
      const denied = verify(req);
      if (denied) return denied;
      const parsed = cancelRequestSchema.safeParse(json(req));
      if (!parsed.success) return answer('PARAM_INVALID', '参数错误');
      const record = state.records.get(parsed.data.requestNo);
      if (record && record.partnerRef !== parsed.data.applyNo)
        return answer('PARAM_INVALID', '申请编号与请求流水号不符');
      switch (lifecycle.withdraw(parsed.data.requestNo)) {
        case 'not_found':
          return answer('APPLY_NOT_FOUND', '申请不存在');
        case 'decided':
          return answer('ALREADY_AUDITED', '申请已审核，不能撤回');
        case 'irreversible':
          return answer('IRREVOCABLE', '参军入伍、涉密单位转接不可撤回');
        case 'withdrawn':
          return record ? answer('OK', '成功', view(record)) : answer('APPLY_NOT_FOUND', '申请不存在');
      }
    });

    server.route('get', PATHS.orgSearch, 'orgSearch', (req) => {
      const denied = verify(req);
      if (denied) return denied;
      const { areaCode, keyword, pageSize } = queryParams(req.rawQuery);
      if (!areaCode || !keyword) return answer('PARAM_INVALID', '参数错误: areaCode, keyword');
      const all = orgs.search(areaCode, keyword, 1000);
      const list = all.slice(0, Math.min(Number(pageSize) || 20, 100));
      return answer('OK', '成功', {
        list: list.map((o) => ({ orgCode: o.orgId, orgName: o.fullName, areaCode: o.provinceCode })),
        total: all.length,
      });
    });
  };

  return boot(
    {
      target: 'guangdong',
      options,
      fixture: orgsFixture,
      localReport: true,
      extras: (r) => ({
        applyStatus: STATUS[r.status],
        ...(r.decidedAt ? { auditTime: toGdTime(r.decidedAt) } : {}),
        ...(r.reportedAt ? { reportTime: toGdTime(r.reportedAt) } : {}),
      }),
      routes,
    },
    () => ({}),
  );
}

export { startSimulator as startGuangdongSimulator };
