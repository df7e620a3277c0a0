/**
 * The paths of the OpenAPI document (openapi.ts): each operation with the schemas its route validates
 * with, the scope it needs, and every problem code it can answer.
 */
import { z } from 'zod';
import { CALLBACK_TYPES } from '../../adapters/callback.js';
import { PARTNER_ID } from '../domain/transfer.js';
import { ListNotificationsQuery, NOTIFICATION_JOB_ID } from './notifications/schemas.js';
import {
  BASIC,
  BEARER,
  BEARER_ERRORS,
  INTERNAL_ERRORS,
  JSON_BODY_ERRORS,
  PATH_ERRORS,
  REQUEST_ID_HEADER,
  SIGNATURE,
  bearer,
  mergeErrors,
  parameter,
  partnerRefusals,
  problemResponses,
  queryParameters,
  ref,
  type ErrorSpec,
  type Header,
  type MediaType,
  type Operation,
  type Paths,
  type Response,
} from './openapi-parts.js';
import { FinishedTransfersQuery, TargetParam } from './ops/schemas.js';
import { OrgCheckQuery, OrgSearchQuery } from './orgs/routes.js';
import { IDEMPOTENCY_KEY, ListTransfersQuery } from './transfers/routes.js';
import { TRANSFER_ID } from '../domain/ids.js';

/** The transfer of docs/api.md, as a documented example (the ID number's check digit is right). */
export const CREATE_TRANSFER_EXAMPLE = {
  externalRef: 'BJ-2023-000123',
  initiator: { kind: 'member' },
  member: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000' },
  source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
  destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' },
  reason: { kind: 'employed_with_org', employerName: '广州某某科技有限公司' },
  confirmedWithMember: false,
} as const;

const ENLISTMENT_EXAMPLE = {
  ...CREATE_TRANSFER_EXAMPLE,
  externalRef: 'BJ-2023-000124',
  initiator: { kind: 'branch', branchOrgId: 'bj-00042-07', operatorId: 'op-1138' },
  destination: { provinceCode: '37', orgFullName: '中国人民解放军某部队团委' },
  reason: { kind: 'enlistment', reviewingProvinceCode: '11' },
  confirmedWithMember: true,
} as const;

const JSON_TYPE = 'application/json';
export const json = (
  schemaName: string,
  extra: Omit<MediaType, 'schema'> = {},
): Record<string, MediaType> => ({
  [JSON_TYPE]: { schema: ref(schemaName), ...extra },
});

function answer(
  description: string,
  content?: Record<string, MediaType>,
  headers: Record<string, Header> = {},
): Response {
  return {
    description,
    headers: { 'X-Request-Id': REQUEST_ID_HEADER, ...headers },
    ...(content ? { content } : {}),
  };
}

/** An API operation: its problem responses (auth, body, 500 included) follow from what it needs. */
function op(
  spec: Omit<Operation, 'responses'> & {
    ok: Record<string, Response>;
    errors?: ErrorSpec;
    jsonBody?: boolean;
  },
): Operation {
  const { ok, errors = {}, jsonBody = false, ...rest } = spec;
  const authErrors = spec.security?.some((s) => BEARER in s) ? BEARER_ERRORS : {};
  const pathErrors = spec.parameters?.some((p) => 'in' in p && p.in === 'path') ? PATH_ERRORS : {};
  const all = mergeErrors(authErrors, jsonBody ? JSON_BODY_ERRORS : {}, pathErrors, errors, INTERNAL_ERRORS);
  return { ...rest, responses: { ...ok, ...problemResponses(all) } };
}

const transferId = parameter(
  'id',
  'path',
  z.string().regex(TRANSFER_ID),
  'the transfer id (trf_…); any other value answers 404',
);
export const webhookHeaders = (id: string) => [
  parameter('webhook-id', 'header', z.string().min(1), id),
  parameter(
    'webhook-timestamp',
    'header',
    z.string().regex(/^\d{1,12}$/),
    'Unix seconds; refused if over 5 minutes off',
  ),
  parameter(
    'webhook-signature',
    'header',
    z.string().min(1),
    'space-separated `v1,<base64 HMAC-SHA256>` signatures',
  ),
];
const TRANSFER_ANSWER = json('Transfer');

export function paths(): Paths {
  return {
    '/v1/transfers': {
      post: op({
        operationId: 'createTransfer',
        tags: ['Transfers'],
        summary: 'Start a transfer',
        description:
          'Validates the transfer, routes it to its target by `destination.provinceCode` and queues its delivery. ' +
          'The same Idempotency-Key with the same body answers the same transfer again (`Idempotent-Replayed: true`).',
        security: bearer('transfers:write'),
        parameters: [
          parameter(
            'Idempotency-Key',
            'header',
            z.string().regex(IDEMPOTENCY_KEY),
            'required: 1–255 visible ASCII characters, unique per transfer (e.g. a UUID)',
          ),
        ],
        requestBody: {
          required: true,
          content: json('CreateTransferBody', {
            examples: {
              member: { summary: 'a member moving to Guangdong for a job', value: CREATE_TRANSFER_EXAMPLE },
              enlistment: { summary: 'an enlistment, started by the branch', value: ENLISTMENT_EXAMPLE },
            },
          }),
        },
        jsonBody: true,
        ok: {
          '202': answer('Accepted: the transfer, queued for delivery', TRANSFER_ANSWER, {
            Location: { description: 'the URL of the transfer', schema: { type: 'string' } },
            'Idempotent-Replayed': {
              description: 'true when this key was seen before with this body',
              schema: { type: 'string', enum: ['true', 'false'] },
            },
          }),
        },
        errors: {
          400: ['IDEMPOTENCY_KEY_REQUIRED'],
          409: ['IDEMPOTENCY_KEY_REUSED'],
          422: [
            'VALIDATION_FAILED',
            'INVALID_ID_NUMBER',
            'INVALID_PROVINCE_CODE',
            'DESTINATION_IS_INTERNAL',
            'INVALID_PHONE',
            'INVALID_DATE',
            'ENLISTMENT_REQUIRES_BRANCH',
            'CONFIRMATION_REQUIRED',
          ],
        },
      }),
      get: op({
        operationId: 'listTransfers',
        tags: ['Transfers'],
        summary: 'List transfers, newest first',
        security: bearer('transfers:read'),
        parameters: queryParameters(ListTransfersQuery),
        ok: { '200': answer('A page of transfers', json('TransferPage')) },
        errors: { 422: ['VALIDATION_FAILED'] },
      }),
    },
    '/v1/transfers/{id}': {
      get: op({
        operationId: 'getTransfer',
        tags: ['Transfers'],
        summary: 'One transfer with its timeline',
        security: bearer('transfers:read'),
        parameters: [transferId],
        ok: { '200': answer('The transfer', TRANSFER_ANSWER) },
        errors: { 404: ['TRANSFER_NOT_FOUND'] },
      }),
    },
    '/v1/transfers/{id}/cancel': {
      post: op({
        operationId: 'cancelTransfer',
        tags: ['Transfers'],
        summary: 'Cancel a transfer before a decision',
        description:
          'Withdraws it at the partner first when the partner already holds it. A partner refusal passes ' +
          'its code through as a 409.',
        security: bearer('transfers:write'),
        parameters: [transferId],
        requestBody: { required: false, content: json('CancelBody') },
        jsonBody: true,
        ok: { '200': answer('The cancelled transfer', TRANSFER_ANSWER) },
        errors: {
          404: ['TRANSFER_NOT_FOUND'],
          409: ['IRREVERSIBLE', 'INVALID_STATE', 'WITHDRAW_NOT_SUPPORTED', ...partnerRefusals],
          422: ['VALIDATION_FAILED'],
          503: ['PARTNER_UNAVAILABLE'],
        },
      }),
    },
    '/v1/transfers/{id}/retry': {
      post: op({
        operationId: 'retryTransfer',
        tags: ['Transfers'],
        summary: 'Send a failed transfer again (operators)',
        description:
          'A `failed` transfer goes back to `accepted` and is delivered again with fresh attempts, unless its personal data has been purged.',
        security: bearer('ops'),
        parameters: [transferId],
        ok: { '202': answer('Accepted: the transfer, queued again', TRANSFER_ANSWER) },
        errors: { 404: ['TRANSFER_NOT_FOUND'], 409: ['INVALID_STATE', 'PERSONAL_DATA_PURGED'] },
      }),
    },
    '/v1/orgs/check': {
      get: op({
        operationId: 'checkOrg',
        tags: ['Destination checks'],
        summary: 'Does the destination org exist under this exact full name?',
        description:
          "For a destination whose partner offers a full-name check; other partners' destinations answer CHECK_NOT_SUPPORTED (search their org list instead).",
        security: bearer('transfers:read'),
        parameters: queryParameters(OrgCheckQuery),
        ok: { '200': answer('exists, with the org; or not_found, with suggestions', json('OrgCheckResult')) },
        errors: {
          422: [
            'VALIDATION_FAILED',
            'INVALID_PROVINCE_CODE',
            'DESTINATION_IS_INTERNAL',
            'CHECK_NOT_SUPPORTED',
            ...partnerRefusals,
          ],
          503: ['PARTNER_UNAVAILABLE'],
        },
      }),
    },
    '/v1/orgs/search': {
      get: op({
        operationId: 'searchOrgs',
        tags: ['Destination checks'],
        summary: "Search the destination partner's org list",
        security: bearer('transfers:read'),
        parameters: queryParameters(OrgSearchQuery),
        ok: { '200': answer('Matching orgs', json('OrgSearchResult')) },
        errors: {
          422: ['VALIDATION_FAILED', 'INVALID_PROVINCE_CODE', 'DESTINATION_IS_INTERNAL', ...partnerRefusals],
          503: ['PARTNER_UNAVAILABLE'],
        },
      }),
    },
    '/v1/callbacks/{target}': {
      post: op({
        operationId: 'partnerCallback',
        tags: ['Partner callbacks'],
        summary: "A partner's decision about a transfer",
        description:
          "Signed per Standard Webhooks with the partner's secret (see the webhookSignature scheme). " +
          `Types: ${Object.keys(CALLBACK_TYPES).join(', ')} (member.account_created from a partner that creates ` +
          'member accounts, member.local_report_completed from one whose members report locally). Other types are ' +
          'acknowledged and ignored.',
        security: [{ [SIGNATURE]: [] }],
        parameters: [
          parameter('target', 'path', z.string().regex(PARTNER_ID), 'the partner posting (its id)'),
          ...webhookHeaders('unique message id: the same id twice is applied once'),
        ],
        requestBody: { required: true, content: json('PartnerCallback') },
        ok: { '204': answer('Applied, or already applied (the same webhook-id twice changes nothing)') },
        errors: {
          400: ['MALFORMED_CALLBACK', 'MALFORMED_BODY', 'REQUEST_ABORTED'],
          401: ['INVALID_SIGNATURE'],
          404: ['UNKNOWN_TARGET', 'UNKNOWN_TRANSFER'],
          409: ['INVALID_TRANSITION'],
          413: ['PAYLOAD_TOO_LARGE'],
          415: ['UNSUPPORTED_MEDIA_TYPE'],
        },
      }),
    },
    '/v1/notifications': {
      get: op({
        operationId: 'listNotifications',
        tags: ['Notifications'],
        summary: 'Notifications to the Beijing system, by queue state (operators)',
        security: bearer('ops'),
        parameters: queryParameters(ListNotificationsQuery),
        ok: { '200': answer('A page of notification jobs', json('NotificationPage')) },
        errors: { 422: ['VALIDATION_FAILED'] },
      }),
    },
    '/v1/notifications/replay': {
      post: op({
        operationId: 'replayNotifications',
        tags: ['Notifications'],
        summary: 'Replay failed notifications: the listed ones, or all (operators)',
        description: 'Every listed id is checked before any is replayed, so a bad list changes nothing.',
        security: bearer('ops'),
        requestBody: { required: false, content: json('ReplayNotificationsBody') },
        jsonBody: true,
        ok: { '200': answer('Re-queued', json('ReplayResult')) },
        errors: {
          404: ['NOTIFICATION_NOT_FOUND'],
          409: ['NOTIFICATION_NOT_FAILED'],
          422: ['VALIDATION_FAILED'],
        },
      }),
    },
    '/v1/notifications/{jobId}/replay': {
      post: op({
        operationId: 'replayNotification',
        tags: ['Notifications'],
        summary: 'Replay one failed notification (operators)',
        security: bearer('ops'),
        parameters: [
          parameter(
            'jobId',
            'path',
            z.string().regex(NOTIFICATION_JOB_ID),
            'the job id: <transfer id>-n<seq>',
          ),
        ],
        ok: { '200': answer('Re-queued', json('ReplayResult')) },
        errors: { 404: ['NOTIFICATION_NOT_FOUND'], 409: ['NOTIFICATION_NOT_FAILED'] },
      }),
    },
    '/v1/ops/targets': {
      get: op({
        operationId: 'listTargets',
        tags: ['Operations'],
        summary: "Each target's delivery: paused or not, breaker, queue depth (operators)",
        security: bearer('ops'),
        ok: { '200': answer('Every target', json('TargetStatusList')) },
      }),
    },
    '/v1/ops/retention': {
      get: op({
        operationId: 'retentionStatus',
        tags: ['Operations'],
        summary: 'Retention: the windows, the last sweep, what is due, every bound (operators)',
        description:
          'Finished transfers are purged of personal data PII_RETENTION_DAYS after they finished and deleted RECORD_RETENTION_DAYS after; the sweep runs every RETENTION_SWEEP_MS.',
        security: bearer('ops'),
        ok: { '200': answer('The retention status', json('RetentionStatus')) },
      }),
    },
    '/v1/ops/finished-transfers': {
      get: op({
        operationId: 'listFinishedTransfers',
        tags: ['Operations'],
        summary: 'Finished transfers by when they finished, without personal data, for export (operators)',
        description:
          'Oldest first, with their timelines. `total` and `scanned` count the time range before the state and target filters, for progress.',
        security: bearer('ops'),
        parameters: queryParameters(FinishedTransfersQuery),
        ok: { '200': answer('A page of finished transfers', json('FinishedTransferPage')) },
        errors: { 422: ['VALIDATION_FAILED'] },
      }),
    },
    ...targetAction(
      'pause',
      'Pause delivery to a target (operators)',
      'Workers stop taking its jobs; new transfers wait.',
    ),
    ...targetAction(
      'resume',
      'Resume delivery to a target (operators)',
      'Waiting transfers are delivered again.',
    ),
    ...operatorPaths(),
  };
}

function targetAction(action: 'pause' | 'resume', summary: string, description: string): Paths {
  return {
    [`/v1/ops/targets/{target}/${action}`]: {
      post: op({
        operationId: `${action}Target`,
        tags: ['Operations'],
        summary,
        description: `${description} Idempotent.`,
        security: bearer('ops'),
        parameters: [parameter('target', 'path', TargetParam, 'the target')],
        ok: { '200': answer("The target's status now", json('TargetStatus')) },
        errors: { 404: ['UNKNOWN_TARGET'] },
      }),
    },
  };
}

function operatorPaths(): Paths {
  const page = (operationId: string, summary: string, type: string, description: string): Operation => ({
    operationId,
    tags: ['Operations'],
    summary,
    security: [],
    responses: { '200': answer(description, { [type]: { schema: { type: 'string' } } }) },
  });
  return {
    '/healthz': {
      get: {
        operationId: 'health',
        tags: ['Operations'],
        summary: 'The process is alive',
        security: [],
        responses: { '200': answer('Alive', json('Health')) },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readiness',
        tags: ['Operations'],
        summary: 'The gateway can do its work (Redis reachable, noeviction)',
        security: [],
        responses: {
          '200': answer('Ready', json('Readiness')),
          '503': answer('Not ready: the failing check says why', json('Readiness')),
        },
      },
    },
    '/metrics': {
      get: page('metrics', 'Prometheus metrics', 'text/plain', 'Prometheus text exposition format'),
    },
    '/admin/queues': {
      get: {
        ...page('queueDashboard', 'Queue dashboard (operators)', 'text/html', 'The dashboard (bull-board)'),
        description:
          'Every delivery queue, the Beijing notifications and maintenance, behind HTTP Basic with ' +
          'OPS_USER/OPS_PASSWORD. Its own API under /admin/queues/ refuses changes that do not come from ' +
          'the dashboard page itself (403 `CSRF_REJECTED`) and every change in read-only mode (403 `READ_ONLY`).',
        security: [{ [BASIC]: [] }],
        responses: {
          '200': answer('The dashboard (bull-board)', { 'text/html': { schema: { type: 'string' } } }),
          ...problemResponses({ 401: ['UNAUTHENTICATED'] }),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        tags: ['Operations'],
        summary: 'This document',
        security: [],
        responses: { '200': answer('OpenAPI 3.1', { [JSON_TYPE]: { schema: { type: 'object' } } }) },
      },
    },
    '/docs': { get: page('docs', 'This reference, as a web page', 'text/html', 'The API reference') },
  };
}
