import { randomBytes } from 'node:crypto';
import { Webhook, WebhookVerificationError as RefError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  WebhookVerificationError,
  signWebhook,
  verifyWebhook,
  webhookHeaders,
} from '../../src/webhooks/standard-webhooks.js';

const newSecret = (): string => `whsec_${randomBytes(24).toString('base64')}`;
const body = JSON.stringify({ type: 'transfer.approved', data: { transferId: 'trf_1', partnerRef: 'P-1' } });

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.reason;
    throw err;
  }
  throw new Error('expected a WebhookVerificationError');
}

describe('Standard Webhooks', () => {
  it('matches the spec example signature', () => {
    // From the Standard Webhooks specification's worked example.
    expect(
      signWebhook({
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('the reference library verifies what we sign', () => {
    const secret = newSecret();
    const headers = webhookHeaders(secret, 'msg_1', body);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('we verify what the reference library signs', () => {
    const secret = newSecret();
    const now = new Date();
    const ref = new Webhook(secret);
    const headers = {
      'webhook-id': 'msg_2',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': ref.sign('msg_2', now, body),
    };
    expect(verifyWebhook({ secrets: [secret], headers, rawBody: body })).toEqual({
      id: 'msg_2',
      timestamp: Math.floor(now.getTime() / 1000),
    });
    expect(verifyWebhook({ secrets: [secret], headers, rawBody: Buffer.from(body) }).id).toBe('msg_2');
  });

  it('refuses a tampered body, in both implementations', () => {
    const secret = newSecret();
    const headers = webhookHeaders(secret, 'msg_3', body);
    const tampered = body.replace('trf_1', 'trf_2');
    expect(reasonOf(() => verifyWebhook({ secrets: [secret], headers, rawBody: tampered }))).toBe(
      'BAD_SIGNATURE',
    );
    expect(() => new Webhook(secret).verify(tampered, { ...headers })).toThrow(RefError);
  });

  it('refuses stale and future timestamps beyond the tolerance', () => {
    const secret = newSecret();
    const now = new Date('2025-06-30T12:00:00Z');
    const stale = webhookHeaders(secret, 'msg_4', body, new Date(now.getTime() - 301_000));
    const future = webhookHeaders(secret, 'msg_5', body, new Date(now.getTime() + 301_000));
    const edge = webhookHeaders(secret, 'msg_6', body, new Date(now.getTime() - 300_000));
    expect(reasonOf(() => verifyWebhook({ secrets: [secret], headers: stale, rawBody: body, now }))).toBe(
      'TIMESTAMP_TOO_OLD',
    );
    expect(reasonOf(() => verifyWebhook({ secrets: [secret], headers: future, rawBody: body, now }))).toBe(
      'TIMESTAMP_TOO_NEW',
    );
    expect(verifyWebhook({ secrets: [secret], headers: edge, rawBody: body, now }).id).toBe('msg_6');
    // The reference library agrees on what is stale (it reads the real clock).
    const realStale = webhookHeaders(secret, 'msg_7', body, new Date(Date.now() - 600_000));
    expect(() => new Webhook(secret).verify(body, { ...realStale })).toThrow(RefError);
  });

  it('refuses a wrong secret, in both implementations', () => {
    const headers = webhookHeaders(newSecret(), 'msg_8', body);
    const other = newSecret();
    expect(reasonOf(() => verifyWebhook({ secrets: [other], headers, rawBody: body }))).toBe('BAD_SIGNATURE');
    expect(() => new Webhook(other).verify(body, { ...headers })).toThrow(RefError);
  });

  it('accepts any of several secrets (rotation) and any of several signatures', () => {
    const oldSecret = newSecret();
    const newer = newSecret();
    const signedOld = webhookHeaders(oldSecret, 'msg_9', body);
    expect(verifyWebhook({ secrets: [newer, oldSecret], headers: signedOld, rawBody: body }).id).toBe(
      'msg_9',
    );

    // A sender mid-rotation signs with both secrets; each receiver knows one of them.
    const both = {
      ...signedOld,
      'webhook-signature': `${signWebhook({ secret: newer, id: 'msg_9', timestamp: Number(signedOld['webhook-timestamp']), body })} ${signedOld['webhook-signature']}`,
    };
    expect(verifyWebhook({ secrets: [oldSecret], headers: both, rawBody: body }).id).toBe('msg_9');
    expect(verifyWebhook({ secrets: [newer], headers: both, rawBody: body }).id).toBe('msg_9');
    expect(new Webhook(newer).verify(body, both)).toEqual(JSON.parse(body));
  });

  it('refuses missing and malformed headers, and ignores unknown signature versions', () => {
    const secret = newSecret();
    const headers = webhookHeaders(secret, 'msg_10', body);
    expect(reasonOf(() => verifyWebhook({ secrets: [secret], headers: {}, rawBody: body }))).toBe(
      'MISSING_HEADERS',
    );
    expect(
      reasonOf(() =>
        verifyWebhook({
          secrets: [secret],
          headers: { ...headers, 'webhook-timestamp': 'soon' },
          rawBody: body,
        }),
      ),
    ).toBe('INVALID_HEADERS');
    const v2 = { ...headers, 'webhook-signature': headers['webhook-signature'].replace('v1,', 'v2,') };
    expect(reasonOf(() => verifyWebhook({ secrets: [secret], headers: v2, rawBody: body }))).toBe(
      'BAD_SIGNATURE',
    );
    const junk = { ...headers, 'webhook-signature': 'v1,!!! v1,AAAA v1' };
    expect(reasonOf(() => verifyWebhook({ secrets: [secret], headers: junk, rawBody: body }))).toBe(
      'BAD_SIGNATURE',
    );
  });

  it('reads headers case-insensitively and from arrays, as node delivers them', () => {
    const secret = newSecret();
    const h = webhookHeaders(secret, 'msg_11', body);
    const upper = {
      'Webhook-Id': [h['webhook-id']],
      'WEBHOOK-TIMESTAMP': h['webhook-timestamp'],
      'webhook-signature': h['webhook-signature'],
    };
    expect(verifyWebhook({ secrets: [secret], headers: upper, rawBody: body }).id).toBe('msg_11');
  });

  it('works with secrets from the reference library format and refuses invalid ones', () => {
    expect(() => signWebhook({ secret: 'whsec_', id: 'x', timestamp: 1, body: '' })).toThrow(TypeError);
    expect(() => signWebhook({ secret: 'whsec_not base64!', id: 'x', timestamp: 1, body: '' })).toThrow(
      TypeError,
    );
  });
});
