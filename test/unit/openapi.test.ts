/**
 * The OpenAPI document, without a server: the request schemas it publishes are strict, its examples
 * pass the real validation, and every error code the source can raise is listed on some response.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtInPartners } from '../../adapters/registry.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiDocument, QUERIES, REQUEST_BODIES } from '../../src/http/openapi.js';
import { validateCreateTransfer } from '../../src/domain/intake.js';

const ROUTES = builtInPartners.routes();

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every object schema inside `schema` (nested properties, items, unions), with its path. */
function objectSchemas(schema: unknown, path = '$'): { path: string; node: Node }[] {
  if (Array.isArray(schema)) return schema.flatMap((s, i) => objectSchemas(s, `${path}[${i}]`));
  if (!isNode(schema)) return [];
  const here = schema.type === 'object' ? [{ path, node: schema }] : [];
  return [
    ...here,
    ...Object.entries(schema).flatMap(([key, value]) =>
      key === 'properties' && isNode(value)
        ? Object.entries(value).flatMap(([name, s]) => objectSchemas(s, `${path}.${name}`))
        : objectSchemas(value, `${path}/${key}`),
    ),
  ];
}

describe('request schemas', () => {
  const requests = { ...REQUEST_BODIES, ...QUERIES };

  it.each(Object.entries(requests))(
    '%s is strict at every level: unknown fields are refused',
    (_, schema) => {
      const objects = objectSchemas(z.toJSONSchema(schema, { io: 'input' }));
      expect(objects.length).toBeGreaterThan(0);
      for (const { path, node } of objects) {
        expect({ path, additionalProperties: node.additionalProperties }).toEqual({
          path,
          additionalProperties: false,
        });
      }
    },
  );

  it('the document publishes the request bodies strict too', () => {
    const { schemas } = openApiDocument().components;
    for (const name of Object.keys(REQUEST_BODIES)) {
      const objects = objectSchemas(schemas[name]);
      expect(objects.length, name).toBeGreaterThan(0);
      for (const { path, node } of objects) expect(node.additionalProperties, `${name} ${path}`).toBe(false);
    }
  });

  it("the documented CreateTransferBody examples pass the route's own validation", () => {
    const media = openApiDocument().paths['/v1/transfers']?.post?.requestBody?.content['application/json'];
    const examples = Object.values(media?.examples ?? {});
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) {
      expect(() =>
        validateCreateTransfer(example.value, { now: new Date('2024-06-01T00:00:00Z'), routes: ROUTES }),
      ).not.toThrow();
    }
  });
});

describe('error codes', () => {
  const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(SRC, f));

  /** Codes written as literals where an AppError is made, or where a field error gets its code. */
  function codesInSource(): Set<string> {
    const codes = new Set<string>();
    const patterns = [
      /new AppError\(\s*'[a-z_]+',\s*'([A-Z][A-Z0-9_]+)'/g,
      // validateCreateTransfer's semantic rules and the province router name their codes this way
      /add\(\s*'[\w.]+',\s*'([A-Z][A-Z0-9_]+)'/g,
      /code: '([A-Z][A-Z0-9_]+)'/g,
      /return '([A-Z][A-Z0-9_]+)'/g,
    ];
    const scanned = files.filter((f) => /[\\/](http|domain|usecases)[\\/]/.test(f));
    for (const file of scanned) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of patterns) for (const m of text.matchAll(pattern)) if (m[1]) codes.add(m[1]);
    }
    return codes;
  }

  function documentedCodes(): Set<string> {
    const doc = openApiDocument();
    const codes = new Set<string>();
    const mentioned = (text = '') => {
      for (const m of text.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) if (m[1]) codes.add(m[1]);
    };
    mentioned(doc.info.description); // NOT_FOUND: any route not listed
    for (const item of Object.values(doc.paths)) {
      for (const operation of Object.values(item)) {
        mentioned(operation.description);
        for (const response of Object.values(operation.responses)) {
          for (const code of response['x-error-codes'] ?? []) codes.add(code);
        }
      }
    }
    return codes;
  }

  it('every code the HTTP layer, the domain and the use cases can raise is documented on a response', () => {
    const inSource = codesInSource();
    // Codes recorded on a transfer (lastError, events), never answered as a problem.
    const recordedOnly = new Set([
      'TARGET_MISMATCH',
      'RETRIES_EXHAUSTED',
      'DELIVERY_ERROR',
      'DELIVERY_CRASH_LOOP',
      'PARTNER_NOT_CONFIGURED',
      'ORG_AMBIGUOUS',
      'BREAKER_OPEN',
    ]);
    const documented = documentedCodes();
    const missing = [...inSource].filter((c) => !documented.has(c) && !recordedOnly.has(c));
    expect(inSource.size).toBeGreaterThan(20);
    expect(missing, 'add these to the operations that answer them in src/http/openapi.ts').toEqual([]);
  });

  it('every documented code is one the source can raise, or a partner refusal passed through', () => {
    const inSource = codesInSource();
    const passedThrough = new Set([
      'REJECTED',
      'ORG_NOT_FOUND',
      'INVALID_DATA',
      'WITHDRAW_NOT_ALLOWED',
      'APPLICATION_NOT_FOUND',
      'CAPABILITY_NOT_SUPPORTED',
      // body-parser failures, mapped in problem.ts by the parser's error type
      'PAYLOAD_TOO_LARGE',
      'MALFORMED_JSON',
      'REQUEST_ABORTED',
    ]);
    const stale = [...documentedCodes()].filter((c) => !inSource.has(c) && !passedThrough.has(c));
    expect(stale).toEqual([]);
  });
});
