/** The national league system (智慧团建), described once for the registry. */
import { z } from 'zod';
import { definePartner } from '../partner.js';
import { nationalConfigSchema } from './config.js';
import { CAPABILITIES, NationalAdapter } from './index.js';

/** What the demo and the tests may set on the national simulator beyond the shared options. */
const simulatorExtra = z.strictObject({
  expireAfterMs: z.number().int().positive().optional(),
  membersWithAccounts: z.array(z.string()).optional(),
});

export const nationalPartner = definePartner({
  id: 'national',
  label: '智慧团建 national league system',
  envPrefix: 'NATIONAL',
  config: nationalConfigSchema,
  env: {
    baseUrl: 'BASE_URL',
    clientId: 'CLIENT_ID',
    clientSecret: 'CLIENT_SECRET',
    tokenRefreshMarginMs: 'TOKEN_REFRESH_MARGIN_MS',
  },
  defaultRateLimit: 20,
  queue: 'deliver-national',
  capabilities: CAPABILITIES,
  provinces: 'rest',
  directoryId: (code, n) => `ZT${code}${String(n).padStart(8, '0')}`,
  createAdapter: (config, http) => new NationalAdapter(config, http),
  startSimulator: async (config, { extra, ...options }) =>
    // Loaded only when a simulator is started (the demo, the tests): never in production.
    (await import('./simulator.js')).startSimulator({
      ...options,
      ...simulatorExtra.parse(extra ?? {}),
      credentials: { clientId: config.clientId, clientSecret: config.clientSecret },
    }),
});
