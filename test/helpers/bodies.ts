/** Valid request bodies for tests, with ID numbers whose GB 11643 check digit is right. */
import { checkDigit } from '../../src/domain/id-number.js';

/** A valid 18-character ID number: Beijing Chaoyang (110105), born 2001-MM-DD, sequence from `n`. */
export function validIdNumber(n: number, birth = '20010615'): string {
  const first17 = `110105${birth}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkDigit(first17);
}

export function transferBody(overrides: Record<string, unknown> = {}, n = 1): Record<string, unknown> {
  return {
    externalRef: `BJ-TEST-${String(n).padStart(6, '0')}`,
    initiator: { kind: 'member' },
    member: { name: '张三', idNumber: validIdNumber(n), phone: '13800000000' },
    source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
    destination: { provinceCode: '44', orgFullName: '共青团广州市天河区委员会' },
    reason: { kind: 'employed_with_org', employerName: '广州某某科技有限公司' },
    confirmedWithMember: false,
    ...overrides,
  };
}
