/**
 * The callback body every partner posts (docs/partners.md "Callbacks"):
 * `{"type": "transfer.approved", "data": {"transferId", "partnerRef", "reason"}}`, signed per Standard
 * Webhooks (verified by the caller before parseCallback). A partner may add its own fields inside
 * `data`; each adapter names the types it sends and where its event time lives.
 */
import { z } from 'zod';
import type { Target } from '../src/domain/transfer.js';
import type { PartnerEvent, PartnerEventType } from './adapter.js';
import { PartnerProtocolError } from './errors.js';

export const CALLBACK_TYPES = {
  'transfer.approved': 'approved',
  'transfer.rejected': 'rejected',
  'transfer.expired': 'expired',
  'member.account_created': 'account_created',
  'member.local_report_completed': 'local_report_completed',
} as const satisfies Record<string, PartnerEventType>;
export type CallbackType = keyof typeof CALLBACK_TYPES;

/** The shared envelope; `data` is loose so partner extras pass through to each adapter's schema. */
export const callbackEnvelopeSchema = z.object({
  type: z.string().min(1),
  data: z.looseObject({
    transferId: z.string().min(1),
    partnerRef: z.string().min(1).optional(),
    reason: z.string().optional(),
  }),
});
export type CallbackEnvelope = z.infer<typeof callbackEnvelopeSchema>;

export interface CallbackSpec<D extends z.ZodType> {
  partner: Target;
  /** The types this partner documents; others are answered as `unsupported`. */
  types: readonly CallbackType[];
  /** The partner's own extras inside `data`. */
  data: D;
  /** Where the partner puts the time of the event, as ISO 8601, if anywhere. */
  at: (data: z.output<D>) => string | undefined;
}

export function parsePartnerCallback<D extends z.ZodType>(
  spec: CallbackSpec<D>,
  body: unknown,
): PartnerEvent {
  const envelope = callbackEnvelopeSchema.safeParse(body);
  if (!envelope.success) {
    throw new PartnerProtocolError('MALFORMED_CALLBACK', `${spec.partner}: callback is not {type, data}`, {
      partner: spec.partner,
      cause: envelope.error,
    });
  }
  const { type, data } = envelope.data;
  const known = spec.types.find((t) => t === type);
  if (known === undefined) {
    return { type: 'unsupported', description: `${spec.partner} callback type "${type}"` };
  }
  const extras = spec.data.safeParse(data);
  if (!extras.success) {
    throw new PartnerProtocolError('MALFORMED_CALLBACK', `${spec.partner}: callback ${type} has bad data`, {
      partner: spec.partner,
      cause: extras.error,
    });
  }
  const at = spec.at(extras.data);
  return {
    type: CALLBACK_TYPES[known],
    transferId: data.transferId,
    ...(data.partnerRef === undefined ? {} : { partnerRef: data.partnerRef }),
    ...(data.reason === undefined || data.reason === '' ? {} : { reason: data.reason }),
    ...(at === undefined ? {} : { at }),
  };
}
