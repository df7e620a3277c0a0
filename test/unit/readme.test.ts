/** The README stays true: every configuration variable is documented, and .env.example names only real ones. */
import { readdirSync, readFileSync } from 'node:fs';
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

  it('points only inside the repository (docs/), never to documents beside it', () => {
    const outside = /\.\.\/shared|\bCONTRACT\.md\b|\bDOMAIN\.md\b/;
    const offenders = [readme, ...docs()].filter((text) => outside.test(text));
    expect(offenders).toEqual([]);
    for (const link of ['docs/domain.md', 'docs/api.md', 'docs/partners.md', 'docs/operations.md']) {
      expect(readme).toContain(link);
      expect(readFileSync(`${ROOT}/${link}`, 'utf8').length).toBeGreaterThan(1000);
    }
  });
});

/** Every markdown file and source file of the repository (not its dependencies). */
function docs(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      if (['node_modules', 'dist', '.git', '.data', 'test-artifacts'].includes(e.name)) return [];
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) return walk(path);
      return /\.(md|ts)$/.test(e.name) && !path.endsWith('readme.test.ts')
        ? [readFileSync(path, 'utf8')]
        : [];
    });
  return walk(ROOT);
}
