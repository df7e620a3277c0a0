/** Fujian's league system, described once for the registry. */
import { definePartner } from '../partner.js';
import { fujianConfigSchema } from './config.js';
import { CAPABILITIES, FujianAdapter } from './index.js';

export const fujianPartner = definePartner({
  id: 'fujian',
  label: 'Fujian league system (福建共青团)',
  envPrefix: 'FUJIAN',
  config: fujianConfigSchema,
  env: { baseUrl: 'BASE_URL', appId: 'APP_ID', appKey: 'APP_KEY' },
  defaultRateLimit: 10,
  queue: 'deliver-fujian',
  capabilities: CAPABILITIES,
  provinces: ['35'],
  memberPortal: { name: '福建“智慧团建”系统' },
  directoryId: (code, n) => `${code}0${String(100_000_000_000 + n * 7919).padStart(15, '0')}`,
  createAdapter: (config, http) => new FujianAdapter(config, http),
  startSimulator: async (config, { extra: _extra, ...options }) =>
    // Loaded only when a simulator is started (the demo, the tests): never in production.
    (await import('./simulator.js')).startSimulator({
      ...options,
      credentials: { appId: config.appId, appKey: config.appKey },
    }),
});
