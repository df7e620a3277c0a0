/**
 * A simulator of the national system speaking its wire format (./wire.ts): OAuth2 tokens, the
 * applications resource keyed by request id, the org check and search, and Standard-Webhooks
 * callbacks (approved / rejected / expired / account created) to the gateway.
 *
 * As strict about names as the partner: the org check and submission accept only a destination's
 * exact full name (a near spelling is not found, with near names suggested), and the search matches
 * its keyword literally (../sim/orgs.ts).
 */
import { randomBytes } from 'node:crypto';
import orgsFixture from '../../fixtures/orgs/national.json' with { type: 'json' };
import { boot, parseJsonBody, queryParams, refCounter, type SimContext } from '../sim/boot.js';
import type { SimAnswer, SimRequest } from '../sim/server.js';
import type { BaseSimulatorOptions, SimRecord, SimulatorControl, SimulatorHandle } from '../sim/types.js';
import {
  PATHS,
  REQUEST_ID_HEADER,
  applicationRequestSchema,
  errorBody,
  tokenRequestSchema,
  type Application,
  type ErrorCode,
  type WireOrg,
} from './wire.js';

export interface NationalSimulatorOptions extends BaseSimulatorOptions<{
  clientId: string;
  clientSecret: string;
}> {
  /** Undecided applications lapse after this long: the partner's 10-day rule by default, shorter in tests. */
  expireAfterMs?: number;
  tokenTtlSeconds?: number;
  /** ID numbers that already have a national account; everyone else gets one on approval. */
  membersWithAccounts?: string[];
}

export interface NationalSimulatorControl extends SimulatorControl {
  /** Every issued token stops working (the next call gets 401 INVALID_TOKEN). */
  revokeTokens(): void;
  tokensIssued(): number;
}

/** Province codes whose orgs are not on the national system (Beijing non-sector, the two partners, HK/Macau/TW). */
const NOT_SERVED = new Set(['11', '35', '44', '71', '81', '82']);

const STATUS: Record<SimRecord['status'], Application['status']> = {
  pending: 'PENDING',
  approved: 'APPROVED',
  reported: 'APPROVED',
  rejected: 'REJECTED',
  expired: 'EXPIRED',
  withdrawn: 'WITHDRAWN',
};

const fail = (
  status: number,
  code: ErrorCode,
  message: string,
  details?: Parameters<typeof errorBody>[2],
): SimAnswer => ({
  status,
  body: errorBody(code, message, details),
});

function view(r: SimRecord): Application {
  return {
    applicationId: r.partnerRef,
    requestId: r.requestId,
    status: STATUS[r.status],
    rejectReason: r.status === 'rejected' ? (r.reason ?? null) : null,
    ...(r.accountCreated ? { accountCreated: true } : {}),
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export async function startSimulator(
  options: NationalSimulatorOptions,
): Promise<SimulatorHandle<NationalSimulatorControl>> {
  const tokens = new Map<string, number>();
  let issued = 0;
  const withAccounts = new Set(options.membersWithAccounts ?? []);
  const nextRef = refCounter((date) => `ZTSQ${date}`);
  const ttl = options.tokenTtlSeconds ?? 3600;

  const routes = ({ server, state, lifecycle, orgs }: SimContext): void => {
    const authorized = (req: SimRequest): SimAnswer | undefined => {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const until = m?.[1] ? tokens.get(m[1]) : undefined;
      if (until !== undefined && until > Date.now()) return undefined;
      state.counts.authFailures++;
      return fail(401, 'INVALID_TOKEN', 'access token is missing, expired or revoked');
    };
    const org = (o: { orgId: string; fullName: string; provinceCode: string }): WireOrg => ({ ...o });

    server.route('post', PATHS.token, 'token', (req) => {
      const form = tokenRequestSchema.safeParse(queryParams(req.rawBody.toString('utf8')));
      const c = options.credentials;
      if (!form.success) return { status: 400, body: { error: 'invalid_request' } };
      if (form.data.client_id !== c.clientId || form.data.client_secret !== c.clientSecret) {
        state.counts.authFailures++;
        return { status: 401, body: { error: 'invalid_client' } };
      }
      const token = randomBytes(24).toString('base64url');
      tokens.set(token, Date.now() + ttl * 1000);
      issued++;
      return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: ttl } };
    });

    server.route('post', PATHS.applications, 'submit', (req) => {
      const denied = authorized(req);
      if (denied) return denied;
      const json = parseJsonBody(req.rawBody);
      const parsed = json.ok ? applicationRequestSchema.safeParse(json.value) : undefined;
      if (!parsed?.success)
        return fail(
          400,
          'INVALID_REQUEST',
          parsed ? parsed.error.issues.map((i) => i.path.join('.')).join(', ') : 'body is not JSON',
        );
      const app = parsed.data;
      if (req.headers[REQUEST_ID_HEADER] !== app.requestId)
        return fail(400, 'INVALID_REQUEST', `${REQUEST_ID_HEADER} must equal requestId`);
      state.counts.submissions++;
      const existing = state.records.get(app.requestId);
      if (existing) {
        state.counts.duplicates++;
        existing.submissions++;
        return fail(409, 'DUPLICATE_REQUEST', '重复的请求', { applicationId: existing.partnerRef });
      }
      const rejectReason = server.faults.rejectReason;
      if (rejectReason) {
        state.counts.rejectedByFault++;
        return fail(422, 'APPLICATION_REJECTED', rejectReason);
      }
      if (NOT_SERVED.has(app.toOrg.provinceCode))
        return fail(422, 'PROVINCE_NOT_SERVED', `省份编码 ${app.toOrg.provinceCode} 不在本系统`);
      // The destination must be one of its orgs spelled exactly; an org id, when given, must be that org's.
      const to = orgs.find(app.toOrg.provinceCode, app.toOrg.fullName);
      if (!to) {
        return fail(404, 'ORG_NOT_FOUND', '未查询到该组织', {
          suggestions: orgs.suggest(app.toOrg.provinceCode, app.toOrg.fullName).map(org),
        });
      }
      if (app.toOrg.orgId !== undefined && app.toOrg.orgId !== to.orgId)
        return fail(404, 'ORG_NOT_FOUND', '组织编码与组织全称不符', { suggestions: [org(to)] });
      const now = lifecycle.now();
      const record: SimRecord = {
        requestId: app.requestId,
        partnerRef: nextRef(),
        provinceCode: to.provinceCode,
        orgId: to.orgId,
        orgFullName: to.fullName,
        idNumber: app.applicant.idNumber,
        irreversible: app.irrevocable,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
        submissions: 1,
      };
      state.records.set(record.requestId, record);
      lifecycle.admit(record);
      return { status: 201, body: view(record) };
    });

    server.route('get', '/api/v1/transfer-applications/:requestId', 'status', (req) => {
      lifecycle.expireLapsed();
      const record = state.records.get(req.params.requestId ?? '');
      return (
        authorized(req) ??
        (record ? { status: 200, body: view(record) } : fail(404, 'APPLICATION_NOT_FOUND', '申请不存在'))
      );
    });

    server.route('post', '/api/v1/transfer-applications/:requestId/withdraw', 'withdraw', (req) => {
      const denied = authorized(req);
      if (denied) return denied;
      const id = req.params.requestId ?? '';
      switch (lifecycle.withdraw(id)) {
        case 'not_found':
          return fail(404, 'APPLICATION_NOT_FOUND', '申请不存在');
        case 'decided':
          return fail(409, 'DECISION_ALREADY_MADE', '申请已处理，不能撤回');
        case 'irreversible':
          return fail(409, 'WITHDRAW_NOT_ALLOWED', '参军入伍、涉密单位转接提交后不可撤回');
        case 'withdrawn': {
          const record = state.records.get(id);
          return record
            ? { status: 200, body: view(record) }
            : fail(404, 'APPLICATION_NOT_FOUND', '申请不存在');
        }
      }
    });

    server.route('get', PATHS.orgCheck, 'orgCheck', (req) => {
      const denied = authorized(req);
      if (denied) return denied;
      const { provinceCode, fullName } = queryParams(req.rawQuery);
      if (!provinceCode || !fullName)
        return fail(400, 'INVALID_REQUEST', 'provinceCode and fullName are required');
      // Exactly as spelled in its directory; a near spelling is a miss with near names suggested.
      const found = orgs.find(provinceCode, fullName);
      return {
        status: 200,
        body: found
          ? { exists: true, org: org(found) }
          : { exists: false, suggestions: orgs.suggest(provinceCode, fullName).map(org) },
      };
    });

    server.route('get', PATHS.orgSearch, 'orgSearch', (req) => {
      const denied = authorized(req);
      if (denied) return denied;
      const { provinceCode, keyword, pageSize } = queryParams(req.rawQuery);
      if (!provinceCode || !keyword)
        return fail(400, 'INVALID_REQUEST', 'provinceCode and keyword are required');
      const all = orgs.search(provinceCode, keyword, 1000);
      const items = all.slice(0, Math.min(Number(pageSize) || 20, 100)).map(org);
      return { status: 200, body: { items, total: all.length } };
    });
  };

  return boot(
    {
      target: 'national',
      options,
      fixture: orgsFixture,
      localReport: false,
      expireAfterMs: options.expireAfterMs ?? 10 * 86_400_000,
      createsAccount: (r) => !withAccounts.has(r.idNumber),
      extras: (r) => ({
        ...(r.decidedAt ? { decidedAt: r.decidedAt.toISOString() } : {}),
        toOrgFullName: r.orgFullName,
      }),
      routes,
    },
    () => ({ revokeTokens: () => tokens.clear(), tokensIssued: () => issued }),
  );
}

export { startSimulator as startNationalSimulator };
