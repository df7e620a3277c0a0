/**
 * The transfer as the API answers it (transferView), as a zod schema: published in the OpenAPI
 * document and checked against transferView's real output in test/unit/transfer-view.test.ts.
 * Response objects are plain (not strict) objects: clients must accept fields added later.
 */
import { z } from 'zod';
import { PARTNER_ID, REASON_KINDS, STATES, type EventSource } from '../../domain/transfer.js';
import { destination, initiator, source } from '../../domain/intake.js';

const EVENT_SOURCES = ['api', 'worker', 'callback', 'reconciliation', 'operator'] as const;
// Both ways: a new EventSource that is not listed here fails to compile.
type Unlisted = Exclude<EventSource, (typeof EVENT_SOURCES)[number]>;
const everySourceListed: [Unlisted] extends [never] ? true : never = true;
void everySourceListed;

const instant = (description: string) => z.iso.datetime().meta({ description });

export const TransferEventView = z
  .object({
    at: instant('when it happened'),
    type: z.string().meta({ description: 'accepted, submitted, attempt_failed, cancelled, approved…' }),
    source: z.enum(EVENT_SOURCES).meta({ description: 'what recorded it' }),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ description: 'one entry of the transfer timeline' });

const LocalReportView = z
  .object({
    status: z.enum(['pending', 'completed']),
    dueAt: instant('the member must report locally by then'),
    since: instant('when local reporting became due').optional(),
    overdue: z.boolean(),
    remindersSent: z
      .array(z.number().int())
      .optional()
      .meta({ description: 'days on which Beijing was reminded' }),
    completedAt: instant('when the member reported').optional(),
  })
  .meta({
    description: 'partners whose members report locally: the member must report in the destination system',
  });

const LastErrorView = z
  .object({
    code: z.string().meta({
      description:
        'stable UPPER_SNAKE code: a partner refusal (REJECTED, INVALID_DATA …), ORG_NOT_FOUND, ORG_AMBIGUOUS, RETRIES_EXHAUSTED, DELIVERY_ERROR, DELIVERY_CRASH_LOOP, PARTNER_NOT_CONFIGURED',
    }),
    message: z.string(),
    at: instant('when it happened'),
    attempt: z.number().int().optional(),
    partnerReason: z.string().optional().meta({ description: "the partner's own words, when it refused" }),
    suggestions: z
      .array(z.object({ orgId: z.string(), fullName: z.string() }))
      .optional()
      .meta({ description: "ORG_NOT_FOUND: near names in the partner's directory" }),
    candidates: z
      .array(z.object({ orgId: z.string(), fullName: z.string() }))
      .optional()
      .meta({
        description: "ORG_AMBIGUOUS: the partner's orgs the name matches (send one's exact full name)",
      }),
  })
  .meta({ description: 'the last delivery problem, if any' });

export const TransferView = z
  .object({
    id: z
      .string()
      .meta({ description: 'trf_ followed by a ULID', examples: ['trf_01J9Z3Q4R5S6T7V8W9X0Y1Z2A3'] }),
    externalRef: z.string(),
    target: z
      .string()
      .regex(PARTNER_ID)
      .meta({ description: 'the partner system that holds the destination (its id)' }),
    state: z.enum(STATES).meta({
      description:
        'accepted → submitted → (awaiting_local_report) → completed; rejected, failed, cancelled and expired are terminal',
    }),
    initiator,
    reason: z
      .looseObject({ kind: z.enum(REASON_KINDS) })
      .meta({ description: 'the reason as sent; a domestic contact is masked' }),
    source,
    destination,
    member: z
      .object({
        name: z.string().meta({ description: 'masked: first character kept', examples: ['张*'] }),
        idNumber: z
          .string()
          .meta({ description: 'masked: first 6 and last 4 kept', examples: ['110105********002X'] }),
        phone: z
          .string()
          .optional()
          .meta({ description: 'masked: first 3 and last 4 kept', examples: ['138****0000'] }),
      })
      .nullable()
      .meta({
        description:
          'personal data, masked; null once it has been purged (PII_RETENTION_DAYS after the transfer finished)',
      }),
    partnerRef: z
      .string()
      .nullable()
      .meta({ description: "the partner's reference, once it holds the transfer" }),
    attempts: z.number().int().min(0).meta({ description: 'delivery attempts so far' }),
    irreversible: z.boolean().meta({ description: 'enlistment and classified_unit: cannot be cancelled' }),
    confirmedWithMember: z.boolean(),
    localReport: LocalReportView.nullable(),
    nationalAccountCreated: z.boolean().meta({
      description:
        'the partner created the member account (username: the ID number; the default password must be changed at first login)',
    }),
    lastError: LastErrorView.nullable(),
    version: z.number().int().min(1).meta({ description: 'increases with every change' }),
    createdAt: instant('when the gateway accepted it'),
    updatedAt: instant('last change'),
    finishedAt: instant(
      'when it reached a terminal state; its retention windows count from here (null while in flight)',
    ).nullable(),
    personalDataPurgedAt: instant(
      'when its personal data (member, domestic contact) was erased; null until then',
    ).nullable(),
    events: z.array(TransferEventView).meta({ description: 'the timeline, oldest first' }),
  })
  .meta({ description: 'A transfer, as GET /v1/transfers/{id} answers it' });

export const TransferSummary = TransferView.omit({ events: true }).meta({
  description: 'A transfer in a list page: everything but the timeline',
});

export const TransferPage = z
  .object({
    items: z.array(TransferSummary).meta({ description: 'newest first' }),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'pass as cursor for the next page; null on the last' }),
  })
  .meta({ description: 'One page of transfers' });
