import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDotenvFile } from '../../scripts/lib/dotenv.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const example = loadDotenvFile(`${ROOT}/.env.example`);

describe('configuration', () => {
  it('accepts .env.example as it is', () => {
    const config = loadConfig(example);
    expect(config.PORT).toBe(3000);
    expect(config.API_KEYS.map((k) => k.id)).toEqual(['beijing', 'ops', 'reader']);
    expect(config.PII_KEYS[0]?.key).toHaveLength(32);
    expect(config.partners.national?.callbackSecrets).toHaveLength(1);
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({
        ...example,
        PORT: 'abc',
        PII_KEYS: 'k:short',
        API_KEYS: '[]',
        NOTIFY_URL: 'not a url',
        REDIS_URL: undefined,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'PII_KEYS', 'API_KEYS', 'NOTIFY_URL', 'REDIS_URL'])
      expect(problems).toContain(name);
  });

  it('takes API keys as sha256 hashes and several callback secrets for rotation', () => {
    const hash = createHash('sha256').update('some-long-api-key-value').digest('hex');
    const config = loadConfig({
      ...example,
      API_KEYS: JSON.stringify([{ id: 'x', key: `sha256:${hash}`, scopes: ['ops'] }]),
      CALLBACK_SECRETS_FUJIAN: `${example.CALLBACK_SECRETS_FUJIAN}, whsec_bmV3LXNlY3JldC1mb3Itcm90YXRpb24=`,
    });
    expect(config.API_KEYS[0]?.key).toBe(`sha256:${hash}`);
    expect(config.partners.fujian?.callbackSecrets).toHaveLength(2);
    expect(() =>
      loadConfig({ ...example, API_KEYS: '[{"id":"x","key":"sha256:abc","scopes":["ops"]}]' }),
    ).toThrow(ConfigError);
  });

  it('stops the process with one message naming every problem', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...example, OPS_PASSWORD: 'short', CALLBACK_SECRETS_GUANGDONG: 'nope' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(78);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /invalid configuration: .*CALLBACK_SECRETS_GUANGDONG.*OPS_PASSWORD|OPS_PASSWORD.*CALLBACK_SECRETS_GUANGDONG/,
    );
  });
});
