/** The README stays true: every configuration variable is documented, and .env.example names only real ones. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDotenvFile } from '../../scripts/lib/dotenv.js';
import { configKeys } from '../../src/config/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${ROOT}/README.md`, 'utf8');

describe('README', () => {
  it('documents every configuration variable in its table', () => {
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('## Notifications to Beijing'),
    );
    const missing = configKeys().filter((k) => !table.includes(`\`${k}\``));
    expect(missing).toEqual([]);
  });

  it('gives the two quick-start commands, and .env.example only names variables the gateway reads', () => {
    expect(readme).toContain('npm run demo');
    expect(readme).toContain('npm test');
    const unknown = Object.keys(loadDotenvFile(`${ROOT}/.env.example`)).filter(
      (k) => !configKeys().includes(k),
    );
    expect(unknown).toEqual([]);
  });
});
