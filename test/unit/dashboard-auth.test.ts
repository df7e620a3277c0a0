/** The dashboard's HTTP Basic check: RFC 7617 parsing (user up to the first colon, UTF-8) and refusals. */
import { describe, expect, it } from 'vitest';
import { basicAuthChecker } from '../../src/http/admin/dashboard.js';

const header = (credentials: string, scheme = 'Basic') =>
  `${scheme} ${Buffer.from(credentials, 'utf8').toString('base64')}`;

describe('basicAuthChecker', () => {
  const check = basicAuthChecker('运维', 'pass:word with spaces ü');

  it('accepts the configured user and password, the password may hold colons and any UTF-8', () => {
    expect(check(header('运维:pass:word with spaces ü'))).toBe(true);
    expect(check(header('运维:pass:word with spaces ü', 'basic'))).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['empty', ''],
    ['wrong password', header('运维:pass:word with spaces u')],
    ['wrong user', header('ops:pass:word with spaces ü')],
    ['both wrong', header('ops:nope')],
    ['user only', header('运维')],
    ['empty credentials', header(':')],
    ['another scheme', header('运维:pass:word with spaces ü', 'Bearer')],
    ['not base64', 'Basic ***'],
  ])('refuses %s', (_label, authorization) => {
    expect(check(authorization)).toBe(false);
  });
});
