/** Guangdong's league system, described once for the registry. */
import { definePartner } from '../partner.js';
import { guangdongConfigSchema } from './config.js';
import { CAPABILITIES, GuangdongAdapter } from './index.js';

export const guangdongPartner = definePartner({
  id: 'guangdong',
  label: 'Guangdong league system (广东共青团)',
  envPrefix: 'GUANGDONG',
  config: guangdongConfigSchema,
  env: { baseUrl: 'BASE_URL', appId: 'APP_ID', appSecret: 'APP_SECRET' },
  defaultRateLimit: 10,
  queue: 'deliver-guangdong',
  capabilities: CAPABILITIES,
  provinces: ['44'],
  memberPortal: { name: '广东“智慧团建”系统' },
  directoryId: (code, n) =>
    `GD${code}${String(1000 + Math.floor(n / 50)).padStart(4, '0')}${String(n).padStart(4, '0')}`,
  createAdapter: (config, http) => new GuangdongAdapter(config, http),
  startSimulator: async (config, { extra: _extra, ...options }) =>
    // Loaded only when a simulator is started (the demo, the tests): never in production.
    (await import('./simulator.js')).startSimulator({
      ...options,
      credentials: { appId: config.appId, appSecret: config.appSecret },
    }),
});
