/**
 * A simulator of Hainan's league system speaking its wire format (./wire.ts): signed form posts
 * checked as the partner does (key, clock, nonce, HMAC), `{success, result | error}` answers,
 * applications stored by our transfer id, an org directory searched by LITERAL substring on its
 * exact names, no local reporting, and Standard-Webhooks callbacks to the gateway. Built on the
 * shared simulator kit (adapters/sim), like the built-in partners' simulators.
 */
import { timingSafeEqual } from 'node:crypto';
import { boot, refCounter, type SimContext } from '../../../adapters/sim/boot.js';
import type { SimAnswer, SimRequest } from '../../../adapters/sim/server.js';
import type {
  BaseSimulatorOptions,
  SimOrg,
  SimRecord,
  SimulatorControl,
  SimulatorHandle,
} from '../../../adapters/sim/types.js';
import { HAINAN_ORGS } from './orgs.js';
import {
  MAX_CLOCK_SKEW_S,
  PATHS,
  PROVINCE,
  SIGNATURE_HEADER,
  authFieldsSchema,
  failure,
  formDecode,
  ok,
  searchFieldsSchema,
  sign,
  statusFieldsSchema,
  submitFieldsSchema,
  toHnTime,
  withdrawFieldsSchema,
  type Answer,
  type ErrorName,
  type WireState,
  type WireStatus,
} from './wire.js';

export type HainanSimulatorOptions = BaseSimulatorOptions<{ accessKey: string; secretKey: string }>;

const STATE: Record<SimRecord['status'], WireState> = {
  pending: 'WAITING',
  approved: 'PASSED',
  rejected: 'REFUSED',
  withdrawn: 'RECALLED',
  expired: 'LAPSED',
  reported: 'PASSED', // Hainan has no local reporting; never reached
};

const reply = (answer: Answer): SimAnswer => ({ status: 200, body: answer });

/** When the application last changed state (none while it waits). */
const changedAt = (r: SimRecord): Date | undefined =>
  r.status === 'pending' ? undefined : (r.decidedAt ?? r.updatedAt);

function view(r: SimRecord): WireStatus {
  const at = changedAt(r);
  return {
    ticket: r.partnerRef,
    serial: r.requestId,
    state: STATE[r.status],
    remark: r.status === 'rejected' ? (r.reason ?? null) : null,
    changed_at: at ? toHnTime(at) : null,
  };
}

export async function startSimulator(
  options: HainanSimulatorOptions,
): Promise<SimulatorHandle<SimulatorControl>> {
  const { accessKey, secretKey } = options.credentials;
  const directory: readonly SimOrg[] = options.orgs ?? HAINAN_ORGS;
  const nonces = new Map<string, number>();
  const nextRef = refCounter((date) => `HN46-${date}-`);

  const routes = ({ server, state, lifecycle }: SimContext): void => {
    /**
     * The partner's gate: a well-formed form body, then key, clock, replay and signature in that
     * order. Answers the operation's fields, or the refusal.
     */
    const gate = (req: SimRequest): { fields: Record<string, string> } | { refused: SimAnswer } => {
      const refuse = (name: ErrorName, message: string): { refused: SimAnswer } => {
        if (name.startsWith('AUTH_')) state.counts.authFailures++;
        return { refused: reply(failure(name, message)) };
      };
      const type = req.headers['content-type'] ?? '';
      if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded'))
        return refuse('ARG_INVALID', '请求须为表单格式');
      const pairs = formDecode(req.rawBody.toString('utf8'));
      if (!pairs) return refuse('ARG_INVALID', '表单格式错误或字段重复');
      const fields = Object.fromEntries(pairs);
      const auth = authFieldsSchema.safeParse(fields);
      if (!auth.success || auth.data.ak !== accessKey) return refuse('AUTH_KEY', '访问密钥无效');
      const nowS = Math.floor(Date.now() / 1000);
      if (Math.abs(nowS - Number(auth.data.ts)) > MAX_CLOCK_SKEW_S)
        return refuse('AUTH_CLOCK', '时间戳超出范围');
      for (const [n, until] of nonces) if (until < nowS) nonces.delete(n);
      if (nonces.has(auth.data.nonce)) return refuse('AUTH_REPLAY', '随机串已使用');
      const given = Buffer.from(String(req.headers[SIGNATURE_HEADER] ?? ''));
      const expected = Buffer.from(sign(secretKey, req.path, pairs));
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return refuse('AUTH_SIGNATURE', '签名校验失败');
      nonces.set(auth.data.nonce, nowS + MAX_CLOCK_SKEW_S);
      return { fields };
    };

    /** A route behind the gate. */
    const route = (path: string, name: string, handle: (fields: Record<string, string>) => Answer): void => {
      server.route('post', path, name, (req) => {
        const g = gate(req);
        return 'refused' in g ? g.refused : reply(handle(g.fields));
      });
    };

    route(PATHS.submit, 'submit', (fields) => {
      const parsed = submitFieldsSchema.safeParse(fields);
      if (!parsed.success) {
        const where = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || 'cause'))];
        return failure('ARG_INVALID', `参数错误: ${where.join(', ')}`);
      }
      const app = parsed.data;
      state.counts.submissions++;
      const existing = state.records.get(app.serial);
      if (existing) {
        state.counts.duplicates++;
        existing.submissions++;
        return failure('DUPLICATE', '该流水号已提交', { ticket: existing.partnerRef });
      }
      const rejectReason = server.faults.rejectReason;
      if (rejectReason) {
        state.counts.rejectedByFault++;
        return failure('REFUSED', rejectReason);
      }
      // Its exact spelling only: no width, space or bracket folding (it has no name check either).
      const to =
        app.to_org === undefined
          ? directory.find((o) => o.provinceCode === PROVINCE && o.fullName === app.to_org_name)
          : directory.find(
              (o) => o.provinceCode === PROVINCE && o.orgId === app.to_org && o.fullName === app.to_org_name,
            );
      if (!to) return failure('ORG_NOT_FOUND', '转入组织不存在');
      const now = new Date();
      const record: SimRecord = {
        requestId: app.serial,
        partnerRef: nextRef(),
        provinceCode: PROVINCE,
        orgId: to.orgId,
        orgFullName: to.fullName,
        idNumber: app.id_card,
        irreversible: app.irrevocable === 'Y',
        status: 'pending',
        createdAt: now,
        updatedAt: now,
        submissions: 1,
      };
      state.records.set(record.requestId, record);
      lifecycle.admit(record);
      return ok({ ticket: record.partnerRef });
    });

    route(PATHS.status, 'status', (fields) => {
      const parsed = statusFieldsSchema.safeParse(fields);
      if (!parsed.success) return failure('ARG_INVALID', '参数错误: serial');
      const record = state.records.get(parsed.data.serial);
      return record ? ok(view(record)) : failure('APP_NOT_FOUND', '申请不存在');
    });

    route(PATHS.withdraw, 'withdraw', (fields) => {
      const parsed = withdrawFieldsSchema.safeParse(fields);
      if (!parsed.success) return failure('ARG_INVALID', '参数错误: serial, ticket');
      const record = state.records.get(parsed.data.serial);
      if (record && record.partnerRef !== parsed.data.ticket)
        return failure('ARG_INVALID', '受理编号与流水号不符');
      switch (lifecycle.withdraw(parsed.data.serial)) {
        case 'not_found':
          return failure('APP_NOT_FOUND', '申请不存在');
        case 'decided':
          return failure('DECIDED', '申请已审核，不能撤回');
        case 'irreversible':
          return failure('IRREVOCABLE', '参军入伍、涉密单位转接不可撤回');
        case 'withdrawn':
          return record ? ok(view(record)) : failure('APP_NOT_FOUND', '申请不存在');
      }
    });

    route(PATHS.orgSearch, 'orgSearch', (fields) => {
      const parsed = searchFieldsSchema.safeParse(fields);
      if (!parsed.success) return failure('ARG_INVALID', '参数错误: province, kw, rows');
      const { province, kw, rows } = parsed.data;
      // LITERAL substring of its exact names, in directory order: what a plain SQL LIKE gives.
      const hits = directory.filter((o) => o.provinceCode === province && o.fullName.includes(kw));
      return ok({
        orgs: hits
          .slice(0, rows)
          .map((o) => ({ code: o.orgId, title: o.fullName, province: o.provinceCode })),
        hits: hits.length,
      });
    });
  };

  return boot(
    {
      target: 'hainan',
      options,
      fixture: HAINAN_ORGS,
      localReport: false,
      extras: (r) => {
        const at = changedAt(r);
        return { state: STATE[r.status], ...(at ? { changed_at: toHnTime(at) } : {}) };
      },
      routes,
    },
    () => ({}),
  );
}

export { startSimulator as startHainanSimulator };
