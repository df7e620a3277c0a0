/**
 * Response shapes other than the transfer (transfers/view-schema.ts), as zod schemas for the OpenAPI
 * document. Plain (not strict) objects: clients must accept fields added later.
 */
import { z } from 'zod';
import { STATES } from '../domain/transfer.js';
import { NOTIFICATION_STATUSES } from './notifications/schemas.js';

export const FieldErrorView = z
  .object({
    path: z
      .string()
      .meta({ description: 'dotted path of the field, e.g. member.idNumber; empty for the body' }),
    message: z.string(),
    code: z.string().optional().meta({ description: "the field's own code, e.g. INVALID_ID_NUMBER" }),
  })
  .meta({ description: 'one problem with one field' });

export const Problem = z
  .object({
    type: z.string().meta({ description: 'URI naming the problem type' }),
    title: z.string().meta({ description: 'the HTTP status phrase' }),
    status: z.number().int().min(400).max(599),
    detail: z.string().meta({ description: 'what went wrong, for a human' }),
    code: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .meta({ description: 'stable UPPER_SNAKE identifier to branch on; each response lists its codes' }),
    errors: z
      .array(FieldErrorView)
      .optional()
      .meta({ description: 'one entry per field problem; absent when the problem is not about fields' }),
  })
  .meta({ description: 'An error, as application/problem+json (RFC 9457)' });

export const Health = z.object({ status: z.literal('ok') }).meta({ description: 'the process is alive' });

export const Readiness = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.record(
      z.string(),
      z.object({
        ok: z.boolean(),
        detail: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
      }),
    ),
  })
  .meta({ description: 'each check by name (redis: reachable and maxmemory-policy noeviction)' });

export const Org = z
  .object({
    orgId: z.string().meta({ description: "the partner's id of the org" }),
    fullName: z.string().meta({ description: 'full name (组织全称), exactly as the partner spells it' }),
  })
  .meta({ description: 'an org in a partner system' });

export const OrgCheckResult = z
  .discriminatedUnion('result', [
    z.object({ result: z.literal('exists'), org: Org }),
    z.object({
      result: z.literal('not_found'),
      suggestions: z.array(Org).meta({ description: 'near names, best first' }),
    }),
  ])
  .meta({ description: 'whether the destination org exists under that exact full name' });

export const OrgSearchResult = z
  .object({ items: z.array(Org) })
  .meta({ description: 'orgs whose name contains the query' });

export const NotificationJobView = z
  .object({
    id: z.string().meta({ description: 'job id: <transfer id>-n<seq>' }),
    transferId: z.string(),
    seq: z.number().int().meta({ description: "the transfer's version at the change" }),
    status: z.enum(NOTIFICATION_STATUSES),
    attemptsMade: z.number().int().min(0),
    failedReason: z.string().nullable(),
    lastAttemptAt: z.iso.datetime().nullable(),
    notification: z
      .object({
        type: z.string(),
        state: z.enum(STATES),
        previousState: z.enum(STATES),
        at: z.iso.datetime(),
      })
      .nullable(),
  })
  .meta({ description: 'one notification to the Beijing system and its delivery job; no personal data' });

export const NotificationPage = z
  .object({
    items: z.array(NotificationJobView),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'pass as cursor for the next page; null on the last' }),
  })
  .meta({ description: 'One page of notification jobs' });

export const ReplayResult = z
  .object({
    replayed: z.number().int().min(0).meta({ description: 'how many notifications were re-queued' }),
  })
  .meta({ description: 'the replay was queued' });

/** What the gateway POSTs to the Beijing system (src/notify/sender.ts notificationBody). */
export const BeijingNotification = z
  .object({
    type: z
      .enum([
        'transfer.state_changed',
        'member.account_created',
        'member.local_report_reminder',
        'member.local_report_overdue',
      ])
      .meta({
        description:
          'transfer.state_changed when the state changes; the member.* types name those events (state and previousState still say where the transfer stands)',
      }),
    data: z.object({
      transferId: z.string(),
      externalRef: z.string().meta({ description: "the Beijing system's own reference" }),
      state: z.enum(STATES),
      previousState: z.enum(STATES),
      at: z.iso.datetime(),
      detail: z
        .record(z.string(), z.unknown())
        .meta({ description: 'what caused it: partnerRef, reason, code…' }),
      seq: z.number().int().meta({ description: 'orders the notifications of one transfer' }),
    }),
  })
  .meta({ description: 'A notification to the Beijing system, signed per Standard Webhooks' });
