/**
 * The OpenAPI 3.1 document, built once from the zod schemas that validate the requests (and the zod
 * schemas of the answers), so the document cannot drift from what the routes accept. Served at
 * /openapi.json and rendered by /docs. test/integration/openapi.test.ts checks it with an independent
 * validator and against the routes the app really serves.
 */
import { callbackEnvelopeSchema } from '../../adapters/callback.js';
import { ListNotificationsQuery, ReplayNotificationsBody } from './notifications/schemas.js';
import {
  BASIC,
  BEARER,
  SIGNATURE,
  jsonSchema,
  type JsonSchema,
  type Operation,
  type Paths,
} from './openapi-parts.js';
import { json, paths, webhookHeaders } from './openapi-paths.js';
import {
  ExportedTransfer,
  FinishedTransferPage,
  FinishedTransfersQuery,
  RetentionStatusView,
  TargetStatus,
  TargetStatusList,
} from './ops/schemas.js';
import { OrgCheckQuery, OrgSearchQuery } from './orgs/routes.js';
import * as responses from './responses.js';
import { CancelBody } from './transfers/actions.js';
import { ListTransfersQuery } from './transfers/routes.js';
import { CreateTransferBody } from '../domain/intake.js';
import { TransferPage, TransferSummary, TransferView } from './transfers/view-schema.js';

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Paths;
  webhooks: Record<string, { post: Operation }>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, Record<string, string>>;
  };
}

/** The request schemas the routes validate with, under their component names. */
export const REQUEST_BODIES = { CreateTransferBody, CancelBody, ReplayNotificationsBody } as const;
export const QUERIES = {
  ListTransfersQuery,
  OrgCheckQuery,
  OrgSearchQuery,
  ListNotificationsQuery,
  FinishedTransfersQuery,
} as const;

const SIGNING =
  'Standard Webhooks (https://www.standardwebhooks.com): `webhook-signature` is `v1,<base64 of ' +
  'HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{raw body}">`, keyed with the base64-decoded part of a ' +
  '`whsec_<base64>` secret; several space-separated signatures are allowed; timestamps more than 5 minutes ' +
  'off are refused.';

function build(): OpenApiDocument {
  const schemas: Record<string, JsonSchema> = {
    CreateTransferBody: jsonSchema(CreateTransferBody),
    CancelBody: jsonSchema(CancelBody),
    ReplayNotificationsBody: jsonSchema(ReplayNotificationsBody),
    PartnerCallback: {
      ...jsonSchema(callbackEnvelopeSchema),
      description: 'The callback envelope every partner sends; `data` may carry partner-specific extras',
    },
    Transfer: jsonSchema(TransferView),
    TransferSummary: jsonSchema(TransferSummary),
    TransferPage: jsonSchema(TransferPage),
    Problem: jsonSchema(responses.Problem),
    OrgCheckResult: jsonSchema(responses.OrgCheckResult),
    OrgSearchResult: jsonSchema(responses.OrgSearchResult),
    NotificationPage: jsonSchema(responses.NotificationPage),
    ReplayResult: jsonSchema(responses.ReplayResult),
    BeijingNotification: jsonSchema(responses.BeijingNotification),
    Health: jsonSchema(responses.Health),
    Readiness: jsonSchema(responses.Readiness),
    TargetStatus: jsonSchema(TargetStatus),
    TargetStatusList: jsonSchema(TargetStatusList),
    RetentionStatus: jsonSchema(RetentionStatusView),
    ExportedTransfer: jsonSchema(ExportedTransfer),
    FinishedTransferPage: jsonSchema(FinishedTransferPage),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Transfer gateway',
      version: '1',
      description:
        "Moves league members' registrations out of the Beijing system to the partner league systems (the " +
        'national 智慧团建 system and the provinces with systems of their own). JSON over HTTP; every error is application/problem+json with a stable `code`; personal data ' +
        'is masked in every answer. Any other route answers 404 `NOT_FOUND`.',
    },
    servers: [{ url: '/' }],
    tags: [
      { name: 'Transfers', description: 'Start, follow, cancel and retry transfers' },
      { name: 'Destination checks', description: "Look up the destination org in the partner's system" },
      { name: 'Partner callbacks', description: 'Partners report their decisions here, signed' },
      { name: 'Notifications', description: 'State changes sent to the Beijing system, and their replay' },
      {
        name: 'Operations',
        description: 'Health, readiness, metrics, the queue dashboard and this reference',
      },
    ],
    paths: paths(),
    webhooks: {
      beijingNotification: {
        post: {
          operationId: 'beijingNotification',
          tags: ['Notifications'],
          summary: 'What the gateway POSTs to the Beijing system (NOTIFY_URL)',
          description: `Signed with NOTIFY_SECRET. ${SIGNING} Retried with backoff until a 2xx; order by data.seq.`,
          security: [{ [SIGNATURE]: [] }],
          parameters: webhookHeaders('msg_<transfer id>_<seq>, the same on every retry: drop repeats'),
          requestBody: { required: true, content: json('BeijingNotification') },
          responses: { '204': { description: 'Any 2xx acknowledges it' } },
        },
      },
    },
    components: {
      schemas,
      securitySchemes: {
        [BEARER]: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key: `Authorization: Bearer <key>`. Keys hold scopes (transfers:write, transfers:read, ops); ' +
            'each operation lists the scope it needs. Missing or unknown key: 401; wrong scope: 403.',
        },
        [BASIC]: {
          type: 'http',
          scheme: 'basic',
          description: 'Operators: OPS_USER and OPS_PASSWORD (the queue dashboard).',
        },
        [SIGNATURE]: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description: `${SIGNING} Partners sign with their CALLBACK_SECRETS_<TARGET> (several accepted at once, for rotation).`,
        },
      },
    },
  };
}

let cached: { doc: OpenApiDocument; json: string } | undefined;

function built(): { doc: OpenApiDocument; json: string } {
  if (!cached) {
    const doc = build();
    cached = { doc, json: JSON.stringify(doc) };
  }
  return cached;
}

/** The document, built on first use and kept (the docs routes build it when the app starts). */
export const openApiDocument = (): OpenApiDocument => built().doc;
/** The same, serialised once. */
export const openApiJson = (): string => built().json;
