/**
 * A simulator of Fujian's league system speaking its wire format (./wire.ts): one signed gateway
 * endpoint, HMAC-SM3 checked both ways, pinyin field names, local reporting after approval, and
 * Standard-Webhooks callbacks to the gateway. Apply takes only an org's exact full name (and its
 * id, when given, must be that org's); the search matches literally.
 */
import { timingSafeEqual } from 'node:crypto';
import orgsFixture from '../../fixtures/orgs/fujian.json' with { type: 'json' };
import { boot, parseJsonBody, refCounter, type SimContext } from '../sim/boot.js';
import type { SimAnswer } from '../sim/server.js';
import type { BaseSimulatorOptions, SimRecord, SimulatorControl, SimulatorHandle } from '../sim/types.js';
import {
  GATEWAY_PATH,
  METHODS,
  applyBizSchema,
  fromFjTime,
  orgSearchBizSchema,
  queryBizSchema,
  requestSchema,
  signedAnswer,
  sm3Sign,
  toFjTime,
  type CodeName,
  type StatusData,
} from './wire.js';

export type FujianSimulatorOptions = BaseSimulatorOptions<{ appId: string; appKey: string }>;

const ZT: Record<SimRecord['status'], StatusData['zt']> = {
  pending: '0',
  approved: '1',
  rejected: '2',
  reported: '3',
  expired: '4',
  withdrawn: '4', // Fujian has no withdrawal; never reached
};

const MAX_SKEW_MS = 5 * 60 * 1000;

function view(r: SimRecord): StatusData {
  return {
    sqbh: r.partnerRef,
    qqlsh: r.requestId,
    zt: ZT[r.status],
    ...(r.status === 'rejected' && r.reason ? { bhyy: r.reason } : {}),
    ...(r.decidedAt ? { shsj: toFjTime(r.decidedAt) } : {}),
    ...(r.reportedAt ? { bdsj: toFjTime(r.reportedAt) } : {}),
  };
}

export async function startSimulator(
  options: FujianSimulatorOptions,
): Promise<SimulatorHandle<SimulatorControl>> {
  const nextRef = refCounter((date) => `FJZJ${date}`);
  const { appId, appKey } = options.credentials;
  const answer = (code: CodeName, msg: string, data?: unknown): SimAnswer => ({
    status: 200,
    body: signedAnswer(appKey, code, msg, data),
  });

  const routes = ({ server, state, lifecycle, orgs }: SimContext): void => {
    const submit = (biz: unknown): SimAnswer => {
      const parsed = applyBizSchema.safeParse(biz);
      if (!parsed.success)
        return answer(
          'PARAM_ERROR',
          `参数错误: ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
        );
      const app = parsed.data;
      state.counts.submissions++;
      const existing = state.records.get(app.qqlsh);
      if (existing) {
        state.counts.duplicates++;
        existing.submissions++;
        return answer('DUPLICATE', '重复申请', { sqbh: existing.partnerRef });
      }
      const rejectReason = server.faults.rejectReason;
      if (rejectReason) {
        state.counts.rejectedByFault++;
        return answer('NOT_ELIGIBLE', rejectReason);
      }
      // Only its exact spelling of an org (it has no name check: this is where a near name fails).
      const to = orgs.find('35', app.zrzzqc);
      if (!to) return answer('ORG_NOT_FOUND', '转入组织不存在');
      if (app.zrzzid !== undefined && app.zrzzid !== to.orgId)
        return answer('ORG_NOT_FOUND', '转入组织ID与组织全称不符');
      const now = new Date();
      const record: SimRecord = {
        requestId: app.qqlsh,
        partnerRef: nextRef(),
        provinceCode: '35',
        orgId: to.orgId,
        orgFullName: to.fullName,
        idNumber: app.sfzh,
        irreversible: app.bkch === '1',
        status: 'pending',
        createdAt: now,
        updatedAt: now,
        submissions: 1,
      };
      state.records.set(record.requestId, record);
      lifecycle.admit(record);
      return answer('OK', '成功', { sqbh: record.partnerRef });
    };

    const query = (biz: unknown): SimAnswer => {
      const parsed = queryBizSchema.safeParse(biz);
      if (!parsed.success) return answer('PARAM_ERROR', '参数错误');
      const record = state.records.get(parsed.data.qqlsh);
      return record ? answer('OK', '成功', view(record)) : answer('APPLY_NOT_FOUND', '申请不存在');
    };

    const search = (biz: unknown): SimAnswer => {
      const parsed = orgSearchBizSchema.safeParse(biz);
      if (!parsed.success) return answer('PARAM_ERROR', '参数错误');
      const all = orgs.search(parsed.data.sfdm, parsed.data.gjz, 1000);
      const zzlb = all
        .slice(0, parsed.data.ts)
        .map((o) => ({ zzid: o.orgId, zzqc: o.fullName, sfdm: o.provinceCode }));
      return answer('OK', '成功', { zzlb, zs: all.length });
    };

    const handlers: Record<string, [string, (biz: unknown) => SimAnswer]> = {
      [METHODS.apply]: ['submit', submit],
      [METHODS.query]: ['status', query],
      [METHODS.orgSearch]: ['orgSearch', search],
    };

    server.route('post', GATEWAY_PATH, 'gateway', (req) => {
      const body = parseJsonBody(req.rawBody);
      const parsed = body.ok ? requestSchema.safeParse(body.value) : undefined;
      if (!parsed?.success) return answer('PARAM_ERROR', '报文格式错误');
      const r = parsed.data;
      const refuse = (code: CodeName, msg: string): SimAnswer => {
        state.counts.authFailures++;
        return answer(code, msg);
      };
      if (r.appid !== appId) return refuse('APPID_INVALID', 'appid无效');
      if (Math.abs(Date.now() - Date.parse(fromFjTime(r.timestamp))) > MAX_SKEW_MS)
        return refuse('TIMESTAMP_INVALID', '时间戳无效');
      const { sign, ...fields } = r;
      const expected = Buffer.from(sm3Sign(appKey, fields));
      if (!timingSafeEqual(Buffer.from(sign), expected)) return refuse('SIGN_ERROR', '签名错误');
      const handler = handlers[r.method];
      if (!handler) return answer('METHOD_UNKNOWN', `接口不存在: ${r.method}`);
      const biz = parseJsonBody(Buffer.from(r.biz_content));
      if (!biz.ok) return answer('PARAM_ERROR', 'biz_content 不是合法的 JSON');
      const [name, fn] = handler;
      state.counts.byRoute[name] = (state.counts.byRoute[name] ?? 0) + 1;
      return fn(biz.value);
    });
  };

  return boot(
    {
      target: 'fujian',
      options,
      fixture: orgsFixture,
      localReport: true,
      extras: (r) => {
        const when = r.reportedAt ?? r.decidedAt ?? r.updatedAt;
        return { zt: ZT[r.status], clsj: toFjTime(when) };
      },
      routes,
    },
    () => ({}),
  );
}

export { startSimulator as startFujianSimulator };
