/**
 * The bounds are written in one place (src/domain/retention.ts), read from there by the code, and
 * shown as they are in the README: every rule appears in its table, and the job options are the ones
 * the rules name.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { deliveryJobOptions, notificationJobOptions } from '../../queues/options.js';
import { JOB_RETENTION, RETENTION_RULES } from '../../src/domain/retention.js';

const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
const section = readme.slice(readme.indexOf('## Data retention'), readme.indexOf('## Configuration'));

describe('retention rules', () => {
  it.each(RETENTION_RULES.map((r) => [r.what, r] as const))('the README table shows %s', (_, rule) => {
    const rows = section
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const row = rows.find((cells) => cells[1] === rule.what);
    expect(row).toBeDefined();
    expect(row?.[2]).toBe(rule.kept);
    expect(row?.[3]).toBe(rule.rule);
    expect(row?.[4]).toBe(rule.setting ? `\`${rule.setting}\`` : '—');
  });

  it('the queues keep their jobs as the rules say', () => {
    expect(deliveryJobOptions.removeOnComplete).toEqual(JOB_RETENTION.deliveryCompleted);
    expect(deliveryJobOptions.removeOnFail).toEqual(JOB_RETENTION.deliveryFailed);
    expect(notificationJobOptions.removeOnComplete).toEqual(JOB_RETENTION.notificationCompleted);
    expect(notificationJobOptions.removeOnFail).toEqual(JOB_RETENTION.notificationFailed);
  });
});
