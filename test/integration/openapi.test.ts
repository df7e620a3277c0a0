/**
 * /openapi.json and /docs, as clients meet them: the served document passes an independent OpenAPI 3.1
 * validator, lists exactly the routes the app serves (read from express's own router), its schemas
 * agree with the validation (a body built from them is accepted) and with real answers (status, code
 * and shape), and the docs page is self-contained HTML under a strict Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { OpenApiDocument } from '../../src/http/openapi.js';
import type { JsonSchema, Operation } from '../../src/http/openapi-parts.js';
import { Problem } from '../../src/http/responses.js';
import { TransferPage, TransferView } from '../../src/http/transfers/view-schema.js';
import { transferBody, validIdNumber } from '../helpers/bodies.js';
import { api, KEYS, startTestGateway, type ApiResponse, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let doc: OpenApiDocument;
beforeAll(async () => {
  gw = await startTestGateway({ ROLE: 'api' });
  doc = (await api<OpenApiDocument>(gw.url, 'GET', '/openapi.json')).body;
});
afterAll(async () => {
  await gw.close();
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/** METHOD /path/{param} for every route in express's router stack, nested routers included. */
function servedRoutes(stack: unknown, prefix = ''): { routes: string[]; mounts: string[] } {
  const routes: string[] = [];
  const mounts: string[] = [];
  for (const layer of Array.isArray(stack) ? stack : []) {
    if (!isNode(layer)) continue;
    const path = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    const { route, handle } = layer;
    if (isNode(route) && typeof route.path === 'string' && isNode(route.methods)) {
      const template = (prefix + route.path).replace(/:(\w+)/g, '{$1}');
      for (const method of Object.keys(route.methods).filter((m) => m !== '_all')) {
        routes.push(`${method.toUpperCase()} ${template}`);
      }
    } else if (typeof handle === 'function' && 'stack' in handle && Array.isArray(handle.stack)) {
      const inner = servedRoutes(handle.stack, prefix + path);
      routes.push(...inner.routes);
      mounts.push(...inner.mounts);
    } else if (path) {
      // Middleware or a whole application mounted at a path (the queue dashboard): its own routes
      // are not ours to list, but the mount point must be documented.
      mounts.push(prefix + path);
    }
  }
  return { routes, mounts };
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
  );
}

type Method = 'GET' | 'POST';

function operation(method: Method, path: string): Operation {
  const found = doc.paths[path]?.[method === 'GET' ? 'get' : 'post'];
  if (!found) throw new Error(`${method} ${path} is not documented`);
  return found;
}

/** The answer's status is documented for the operation; a problem's code is listed under that status. */
function expectDocumented(method: Method, path: string, res: ApiResponse): void {
  const response = operation(method, path).responses[String(res.status)];
  expect(response, `${method} ${path} answered ${res.status}, which it does not document`).toBeDefined();
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = Problem.parse(res.body);
    expect(response?.['x-error-codes'], `${method} ${path} ${res.status}`).toContain(problem.code);
    expect(response?.description).toContain(`\`${problem.code}\``);
  }
}

const resolve = (schema: JsonSchema): JsonSchema => {
  const name = schema.$ref?.replace('#/components/schemas/', '');
  return name ? (doc.components.schemas[name] ?? {}) : schema;
};

/**
 * The smallest value the documented schema asks for: required properties only. Leaves come from the
 * schema (const, enum, default) or, where only a rule outside the schema makes a value valid (an ID
 * number's check digit), from the documented example at the same place.
 */
function minimalValue(raw: JsonSchema, example: unknown, path = 'body'): unknown {
  const schema = resolve(raw);
  if (schema.const !== undefined) return schema.const;
  if (schema.oneOf) {
    const chosen =
      schema.oneOf.find((variant) =>
        Object.entries(variant.properties ?? {}).some(
          ([key, p]) =>
            typeof p === 'object' && p.const !== undefined && isNode(example) && example[key] === p.const,
        ),
      ) ?? schema.oneOf[0];
    if (!chosen) throw new Error(`${path}: empty oneOf`);
    return minimalValue(chosen, example, path);
  }
  if (schema.type === 'object') {
    const out: Node = {};
    for (const name of schema.required ?? []) {
      const property = schema.properties?.[name];
      if (typeof property !== 'object') throw new Error(`${path}.${name}: required but not described`);
      out[name] = minimalValue(property, isNode(example) ? example[name] : undefined, `${path}.${name}`);
    }
    return out;
  }
  if (example !== undefined) return example;
  if (schema.enum?.[0] !== undefined) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  throw new Error(`${path}: the document gives no value to build from`);
}

describe('/openapi.json', () => {
  it('is served without a key and passes an independent OpenAPI 3.1 validator', async () => {
    const res = await api(gw.url, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const validator = new Validator();
    const result = await validator.validate(structuredClone(res.body));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('the validator is not a rubber stamp: broken copies are refused', async () => {
    const optionalPathParam = structuredClone(doc);
    const param = optionalPathParam.paths['/v1/transfers/{id}']?.get?.parameters?.[0];
    if (!param) throw new Error('GET /v1/transfers/{id} documents no parameter');
    param.required = false; // OpenAPI: a path parameter must be required
    const unknownField = { ...structuredClone(doc), paths: 'none' };
    for (const broken of [optionalPathParam, unknownField]) {
      // A string with line breaks is read as the document itself (without, as a file name).
      expect((await new Validator().validate(JSON.stringify(broken, null, 1))).valid).toBe(false);
    }
  });

  it('documents every route the app serves, and serves every route it documents', () => {
    expect(gw.app).toBeDefined();
    const { routes, mounts } = servedRoutes(gw.app?.router.stack);
    const documented = documentedRoutes();
    // Operator surfaces documented ahead of their code: these two alone may be missing from the app.
    const NOT_YET_SERVED = new Set(['GET /metrics', 'GET /admin/queues']);

    expect(routes.length).toBeGreaterThan(10);
    expect(routes.filter((r) => !documented.includes(r))).toEqual([]);
    // A mounted application (the queue dashboard) is documented by its page at the mount point.
    expect(mounts.filter((m) => !documented.includes(`GET ${m}`))).toEqual([]);
    const served = new Set([...routes, ...mounts.map((m) => `GET ${m}`)]);
    expect(documented.filter((r) => !served.has(r) && !NOT_YET_SERVED.has(r))).toEqual([]);
    for (const route of [
      'POST /v1/transfers',
      'GET /v1/transfers',
      'GET /v1/transfers/{id}',
      'POST /v1/transfers/{id}/cancel',
      'POST /v1/transfers/{id}/retry',
      'GET /v1/orgs/check',
      'GET /v1/orgs/search',
      'POST /v1/callbacks/{target}',
      'GET /v1/notifications',
      'POST /v1/notifications/replay',
      'POST /v1/notifications/{jobId}/replay',
      'GET /healthz',
      'GET /readyz',
      'GET /openapi.json',
      'GET /docs',
    ]) {
      expect(routes).toContain(route);
    }
  });

  it('a body built from the documented schema (required fields only) is accepted', async () => {
    const media = operation('POST', '/v1/transfers').requestBody?.content['application/json'];
    if (!media) throw new Error('no documented JSON body');
    const example = media.examples?.member?.value;
    const body = minimalValue(media.schema, example);
    if (!isNode(body)) throw new Error('the documented body is not an object');
    // Only what is required: optional fields and defaults are left out.
    expect(body).not.toHaveProperty('confirmedWithMember');
    expect(body.member).not.toHaveProperty('phone');

    const idempotencyKey = operation('POST', '/v1/transfers').parameters?.find((p) => p.in === 'header');
    expect(idempotencyKey).toMatchObject({ name: 'Idempotency-Key', required: true });
    const res = await api(gw.url, 'POST', '/v1/transfers', {
      key: KEYS.beijing,
      body,
      headers: { 'Idempotency-Key': 'openapi-minimal-1' },
    });
    expect(res.status).toBe(202);
    expectDocumented('POST', '/v1/transfers', res);
    expect(TransferView.parse(res.body)).toMatchObject({ state: 'accepted', externalRef: body.externalRef });
  });

  it('real answers match what the document says: status, problem code and shape', async () => {
    const created = await api(gw.url, 'POST', '/v1/transfers', {
      key: KEYS.beijing,
      body: transferBody({}, 901),
      headers: { 'Idempotency-Key': 'openapi-real-1' },
    });
    expectDocumented('POST', '/v1/transfers', created);
    const id = String(created.body.id);

    const enlistment = transferBody(
      {
        initiator: { kind: 'branch', branchOrgId: 'bj-1', operatorId: 'op-1' },
        reason: { kind: 'enlistment', reviewingProvinceCode: '11' },
        confirmedWithMember: true,
      },
      902,
    );
    const irreversible = await api(gw.url, 'POST', '/v1/transfers', {
      key: KEYS.beijing,
      body: enlistment,
      headers: { 'Idempotency-Key': 'openapi-real-2' },
    });
    expectDocumented('POST', '/v1/transfers', irreversible);

    const valid = validIdNumber(905);
    const badCheckDigit = valid.slice(0, 17) + (valid.endsWith('0') ? '1' : '0');
    const key = { 'Idempotency-Key': 'openapi-bad' };
    const post = (body: unknown, headers: Record<string, string> = key) =>
      api(gw.url, 'POST', '/v1/transfers', { key: KEYS.beijing, body, headers });
    const as = (who: string | undefined, method: Method, url: string, options: { body?: unknown } = {}) =>
      api(gw.url, method, url, { key: who, ...options });
    const raw = (text: string, type: string) =>
      api(gw.url, 'POST', '/v1/transfers', {
        key: KEYS.beijing,
        raw: text,
        headers: { 'content-type': type, ...key },
      });
    const irreversibleId = String(irreversible.body.id);

    // [documented route, answer, expected status, expected problem code]
    const cases: [string, Promise<ApiResponse>, number, string?][] = [
      ['POST /v1/transfers', post(transferBody({}, 903), {}), 400, 'IDEMPOTENCY_KEY_REQUIRED'],
      ['POST /v1/transfers', raw('{', 'application/json'), 400, 'MALFORMED_JSON'],
      ['POST /v1/transfers', raw('a=1', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['POST /v1/transfers', as(undefined, 'POST', '/v1/transfers', { body: {} }), 401, 'UNAUTHENTICATED'],
      ['POST /v1/transfers', as(KEYS.reader, 'POST', '/v1/transfers', { body: {} }), 403, 'FORBIDDEN'],
      ['POST /v1/transfers', post(transferBody({ extra: 1 })), 422, 'VALIDATION_FAILED'],
      [
        'POST /v1/transfers',
        post(transferBody({ member: { name: '张三', idNumber: badCheckDigit } })),
        422,
        'INVALID_ID_NUMBER',
      ],
      [
        'POST /v1/transfers',
        post(transferBody({ destination: { provinceCode: '11', orgFullName: '北京' } })),
        422,
        'DESTINATION_IS_INTERNAL',
      ],
      [
        'POST /v1/transfers',
        post({ ...enlistment, initiator: { kind: 'member' } }),
        422,
        'ENLISTMENT_REQUIRES_BRANCH',
      ],
      [
        'POST /v1/transfers',
        post({ ...enlistment, confirmedWithMember: false }),
        422,
        'CONFIRMATION_REQUIRED',
      ],
      [
        'POST /v1/transfers',
        post(transferBody({}, 904), { 'Idempotency-Key': 'openapi-real-1' }),
        409,
        'IDEMPOTENCY_KEY_REUSED',
      ],
      ['GET /v1/transfers', as(KEYS.reader, 'GET', '/v1/transfers?limit=2'), 200],
      ['GET /v1/transfers', as(KEYS.reader, 'GET', '/v1/transfers?limit=0'), 422, 'VALIDATION_FAILED'],
      ['GET /v1/transfers/{id}', as(KEYS.reader, 'GET', `/v1/transfers/${id}`), 200],
      ['GET /v1/transfers/{id}', as(KEYS.reader, 'GET', '/v1/transfers/trf_x'), 404, 'TRANSFER_NOT_FOUND'],
      [
        'POST /v1/transfers/{id}/cancel',
        as(KEYS.beijing, 'POST', `/v1/transfers/${irreversibleId}/cancel`),
        409,
        'IRREVERSIBLE',
      ],
      [
        'POST /v1/transfers/{id}/retry',
        as(KEYS.ops, 'POST', `/v1/transfers/${id}/retry`),
        409,
        'INVALID_STATE',
      ],
      [
        'GET /v1/orgs/check',
        as(KEYS.reader, 'GET', '/v1/orgs/check?provinceCode=44&fullName=x'),
        422,
        'CHECK_NOT_SUPPORTED',
      ],
      [
        'GET /v1/orgs/search',
        as(KEYS.reader, 'GET', '/v1/orgs/search?provinceCode=11&q=x'),
        422,
        'DESTINATION_IS_INTERNAL',
      ],
      [
        'POST /v1/callbacks/{target}',
        as(undefined, 'POST', '/v1/callbacks/national', { body: { type: 'transfer.approved', data: {} } }),
        401,
        'INVALID_SIGNATURE',
      ],
      [
        'POST /v1/callbacks/{target}',
        as(undefined, 'POST', '/v1/callbacks/mars', { body: {} }),
        404,
        'UNKNOWN_TARGET',
      ],
      ['GET /v1/notifications', as(KEYS.ops, 'GET', '/v1/notifications'), 200],
      ['GET /v1/notifications', as(KEYS.beijing, 'GET', '/v1/notifications'), 403, 'FORBIDDEN'],
      [
        'POST /v1/notifications/replay',
        as(KEYS.ops, 'POST', '/v1/notifications/replay', { body: { ids: ['nope'] } }),
        422,
        'VALIDATION_FAILED',
      ],
      [
        'POST /v1/notifications/{jobId}/replay',
        as(KEYS.ops, 'POST', `/v1/notifications/${id}-n99/replay`),
        404,
        'NOTIFICATION_NOT_FOUND',
      ],
      ['GET /v1/ops/targets', as(KEYS.ops, 'GET', '/v1/ops/targets'), 200],
      [
        'POST /v1/ops/targets/{target}/pause',
        as(KEYS.ops, 'POST', '/v1/ops/targets/mars/pause'),
        404,
        'UNKNOWN_TARGET',
      ],
      ['GET /healthz', as(undefined, 'GET', '/healthz'), 200],
      ['GET /readyz', as(undefined, 'GET', '/readyz'), 200],
    ];
    for (const [route, pending, status, code] of cases) {
      const res = await pending;
      expect({ route, status: res.status, code: res.body.code }).toEqual({ route, status, code });
      const [method, path] = route.split(' ');
      expectDocumented(method === 'GET' ? 'GET' : 'POST', path ?? '', res);
    }
  });

  it('answers parse with the response schemas the document publishes', async () => {
    const page = await api(gw.url, 'GET', '/v1/transfers?limit=5', { key: KEYS.reader });
    const parsed: z.output<typeof TransferPage> = TransferPage.parse(page.body);
    expect(parsed.items.length).toBeGreaterThan(0);
    const one = await api(gw.url, 'GET', `/v1/transfers/${parsed.items[0]?.id}`, { key: KEYS.reader });
    expect(TransferView.parse(one.body).events.length).toBeGreaterThan(0);
  });
});

describe('/docs', () => {
  it('is self-contained HTML under a strict Content-Security-Policy that allows its own inline code', async () => {
    const res = await fetch(`${gw.url}/docs`);
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');

    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1];
    expect(script).toContain("fetch('openapi.json'");
    expect(csp).toContain(`script-src ${hash(script ?? '')}`);
    expect(csp).toContain(`style-src ${hash(style ?? '')}`);
    // Nothing loaded from elsewhere: no external script, stylesheet, font or image.
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/);
    // The walk-through: POST with an Idempotency-Key and the demo key, then GET.
    expect(html).toContain('demo-beijing-key-0123456789');
    expect(html).toContain('Idempotency-Key');
    expect(html).toMatch(/curl[^\n]*\/v1\/transfers\/trf_/);
  });
});
