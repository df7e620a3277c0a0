/**
 * Hainan's league system, described once for the registry: a partner that lives entirely in the
 * tests. Registering it is one line, `new PartnerRegistry([...BUILT_IN_PARTNERS, hainanPartner])`;
 * nothing in src/, queues/ or adapters/ names it.
 */
import { definePartner } from '../../../adapters/partner.js';
import { hainanConfigSchema } from './config.js';
import { CAPABILITIES, HainanAdapter } from './index.js';
import { hainanOrgId } from './orgs.js';

export const hainanPartner = definePartner({
  id: 'hainan',
  label: 'Hainan league system (海南共青团)',
  envPrefix: 'HAINAN',
  config: hainanConfigSchema,
  env: { baseUrl: 'BASE_URL', accessKey: 'ACCESS_KEY', secretKey: 'SECRET_KEY' },
  defaultRateLimit: 5,
  queue: 'deliver-hainan',
  capabilities: CAPABILITIES,
  provinces: ['46'],
  directoryId: hainanOrgId,
  createAdapter: (config, http) => new HainanAdapter(config, http),
  startSimulator: async (config, { extra: _extra, ...options }) =>
    // Loaded only when a simulator is started (the tests): never by the gateway itself.
    (await import('./simulator.js')).startSimulator({
      ...options,
      credentials: { accessKey: config.accessKey, secretKey: config.secretKey },
    }),
});
