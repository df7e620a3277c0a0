/**
 * Runs the one conformance suite against all three adapters, each against its real simulator.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fujianConfigSchema } from '../../adapters/fujian/config.js';
import { FujianAdapter } from '../../adapters/fujian/index.js';
import { guangdongConfigSchema } from '../../adapters/guangdong/config.js';
import { nationalConfigSchema } from '../../adapters/national/config.js';
import { startSimulator as startFujian } from '../../adapters/fujian/simulator.js';
import { GuangdongAdapter } from '../../adapters/guangdong/index.js';
import { startSimulator as startGuangdong } from '../../adapters/guangdong/simulator.js';
import { NationalAdapter } from '../../adapters/national/index.js';
import {
  startSimulator as startNational,
  type NationalSimulatorControl,
} from '../../adapters/national/simulator.js';
import type { SimulatorHandle } from '../../adapters/sim/types.js';
import {
  CALLBACK_SECRET,
  adapterContract,
  quietLogger,
  submitRequest,
  type ContractSubject,
} from './adapter.contract.js';
import { startReceiver } from './receiver.js';

const nationalCreds = { clientId: 'gateway-bj', clientSecret: 'national-secret-0123456789' };
const gdCreds = { appId: 'bj-gateway', appSecret: 'guangdong-secret-0123456789' };
const fjCreds = { appId: 'bjtw0001', appKey: 'fujian-app-key-0123456789' };
const fast = { attempts: 3, baseDelayMs: 20 };

const national: ContractSubject = {
  target: 'national',
  verbatimSearch: true,
  provinceCode: '37',
  start: (o) => startNational({ ...o, credentials: nationalCreds, logger: quietLogger, callbackRetry: fast }),
  adapter: (baseUrl, o = {}) =>
    new NationalAdapter(
      nationalConfigSchema.parse({
        baseUrl,
        clientId: nationalCreds.clientId,
        clientSecret: o.wrongSecret ? 'wrong-secret-0123456789' : nationalCreds.clientSecret,
        timeoutMs: o.timeoutMs ?? 2000,
      }),
    ),
  knownOrg: {
    orgId: 'ZT3700000040',
    fullName: '共青团中国石油大学（华东）委员会',
    exactQuery: '中国石油大学（华东）',
    messyQuery: '中国石油 大学 (华东)',
    messyFullName: ' 共青团中国石油大学(华东)委员会\u3000',
  },
};

const guangdong: ContractSubject = {
  target: 'guangdong',
  verbatimSearch: true,
  provinceCode: '44',
  start: (o) => startGuangdong({ ...o, credentials: gdCreds, logger: quietLogger, callbackRetry: fast }),
  adapter: (baseUrl, o = {}) =>
    new GuangdongAdapter(
      guangdongConfigSchema.parse({
        baseUrl,
        appId: gdCreds.appId,
        appSecret: o.wrongSecret ? 'wrong-secret-0123456789' : gdCreds.appSecret,
        timeoutMs: o.timeoutMs ?? 2000,
      }),
    ),
  knownOrg: {
    orgId: 'GD4410050274',
    fullName: '共青团香港中文大学（深圳）委员会',
    exactQuery: '香港中文大学（深圳）',
    messyQuery: '香港中文\u3000大学(深圳)',
    messyFullName: '共青团香港中文大学 (深圳) 委员会',
  },
};

const fujian: ContractSubject = {
  target: 'fujian',
  verbatimSearch: true,
  provinceCode: '35',
  start: (o) => startFujian({ ...o, credentials: fjCreds, logger: quietLogger, callbackRetry: fast }),
  adapter: (baseUrl, o = {}) =>
    new FujianAdapter(
      fujianConfigSchema.parse({
        baseUrl,
        appId: fjCreds.appId,
        appKey: o.wrongSecret ? 'wrong-key-0123456789abc' : fjCreds.appKey,
        timeoutMs: o.timeoutMs ?? 2000,
      }),
    ),
  knownOrg: {
    orgId: '350000100001971831',
    fullName: '共青团福建省电子信息（集团）有限责任公司委员会',
    exactQuery: '电子信息（集团）',
    messyQuery: '电子信息 (集团)',
    messyFullName: '共青团福建省电子信息(集团)有限责任公司委员会',
  },
};

for (const subject of [national, guangdong, fujian]) adapterContract(subject);

describe('national specifics', () => {
  let sim: SimulatorHandle<NationalSimulatorControl> | undefined;
  afterEach(() => sim?.close());

  it('refreshes a revoked token once and carries on', async () => {
    sim = await startNational({
      gatewayUrl: 'http://127.0.0.1:9',
      callbackSecret: CALLBACK_SECRET,
      credentials: nationalCreds,
      logger: quietLogger,
      decision: { mode: 'never' },
    });
    const adapter = national.adapter(sim.url);
    await adapter.searchOrgs('37', '青岛');
    await adapter.searchOrgs('37', '青岛');
    expect(sim.control.tokensIssued()).toBe(1);
    sim.control.revokeTokens();
    expect(await adapter.searchOrgs('37', '青岛')).not.toHaveLength(0);
    expect(sim.control.tokensIssued()).toBe(2);
  });

  it('expires undecided applications and says so in a callback and in status', async () => {
    const receiver = await startReceiver(CALLBACK_SECRET);
    try {
      sim = await startNational({
        gatewayUrl: receiver.url,
        callbackSecret: CALLBACK_SECRET,
        credentials: nationalCreds,
        logger: quietLogger,
        decision: { mode: 'never' },
        expireAfterMs: 30,
      });
      const adapter = national.adapter(sim.url);
      const req = submitRequest(national);
      await adapter.submit(req);
      const cb = await receiver.waitFor((c) => JSON.stringify(c.body).includes(req.transferId));
      expect(adapter.parseCallback(cb.body)).toMatchObject({ type: 'expired', transferId: req.transferId });
      expect((await adapter.fetchStatus({ transferId: req.transferId })).status).toBe('expired');
    } finally {
      await receiver.close();
    }
  });

  it('serves the five national sectors and refuses provinces on other systems', async () => {
    sim = await startNational({
      gatewayUrl: 'http://127.0.0.1:9',
      callbackSecret: CALLBACK_SECRET,
      credentials: nationalCreds,
      logger: quietLogger,
      decision: { mode: 'never' },
    });
    const adapter = national.adapter(sim.url);
    for (const code of ['91', '92', '93', '94', '95']) {
      expect(await adapter.searchOrgs(code, '共青团', { limit: 3 })).toHaveLength(3);
    }
    const rail = await adapter.checkOrg('91', '共青团中国国家铁路集团有限公司委员会');
    expect(rail.result).toBe('exists');
    const req = submitRequest(national, {
      destination: { provinceCode: '91', orgFullName: '共青团中国国家铁路集团有限公司委员会' },
    });
    expect((await adapter.submit(req)).duplicate).toBe(false);
    const gd = submitRequest(national, {
      destination: { provinceCode: '44', orgFullName: '共青团广州市委员会' },
    });
    await expect(adapter.submit(gd)).rejects.toMatchObject({ code: 'INVALID_DATA' });
  });
});
