/**
 * A sample season for the demo: a few transfers to every target through the real API, then a watch
 * until each reached its end. The simulators approve on their own after a short delay; this script
 * asks the national simulator to refuse one application and tells the Guangdong simulator that one
 * member forgets to report locally, so within a minute the demo shows every journey: completed for
 * each target, one rejected, one Guangdong member overdue for local reporting.
 *
 *   npm run demo -- --seed         (the demo runs this once everything is up)
 *   node --import tsx scripts/demo-seed.ts   (against a demo that is already running)
 */
import { fileURLToPath } from 'node:url';
import { checkDigit } from '../src/domain/id-number.js';
import { builtInPartners } from '../adapters/registry.js';
import { loadDotenvFile } from './lib/dotenv.js';

interface Sample {
  label: string;
  body: Record<string, unknown>;
  expect: string;
  /** Partner control to apply once the partner holds it. */
  then?: 'reject' | 'forget_local_report';
}

function idNumber(n: number): string {
  const first17 = `11010820010${(n % 9) + 1}1${n % 10}${String(100 + n).slice(-3)}`;
  return first17 + checkDigit(first17);
}

function sample(
  n: number,
  name: string,
  destination: [string, string],
  reason: Record<string, unknown>,
): Record<string, unknown> {
  return {
    externalRef: `BJ-DEMO-${Date.now().toString(36)}-${n}`,
    initiator: { kind: 'member' },
    member: { name, idNumber: idNumber(n), phone: `1380000${String(1000 + n)}` },
    source: { orgId: 'bj-00042', orgFullName: '共青团北京某某大学委员会' },
    destination: { provinceCode: destination[0], orgFullName: destination[1] },
    reason,
    confirmedWithMember: false,
  };
}

const employed = { kind: 'employed_with_org', employerName: '某某科技有限公司' };
const study = {
  kind: 'further_study',
  schoolType: 'university',
  schoolName: '四川大学',
  schoolAddress: '成都市武侯区',
};
const SAMPLES: Sample[] = [
  {
    label: 'national → 上海',
    body: sample(1, '李明', ['31', '共青团上海市黄浦区委员会'], employed),
    expect: 'completed',
  },
  {
    label: 'national → 中央和国家机关',
    body: sample(2, '王芳', ['93', '共青团外交部委员会'], employed),
    expect: 'completed',
  },
  {
    label: 'national → 四川 (refused)',
    body: sample(3, '张伟', ['51', '共青团成都市委员会'], study),
    expect: 'rejected',
    then: 'reject',
  },
  {
    label: 'guangdong → 天河',
    body: sample(4, '陈静', ['44', '共青团广州市天河区委员会'], employed),
    expect: 'completed',
  },
  {
    label: 'guangdong → 福田 (forgets to report)',
    body: sample(5, '刘洋', ['44', '共青团深圳市福田区委员会'], employed),
    expect: 'overdue',
    then: 'forget_local_report',
  },
  {
    label: 'fujian → 福州',
    body: sample(6, '黄丽', ['35', '中国共产主义青年团福建省福州市委员会'], employed),
    expect: 'completed',
  },
];

export interface SeedOptions {
  gatewayUrl: string;
  apiKey: string;
  /** Each partner simulator's base URL, by partner id (its control endpoints act for the samples). */
  partners: Readonly<Record<string, string>>;
  log: (line: string) => void;
  timeoutMs?: number;
}

interface TransferView {
  id: string;
  target: string;
  state: string;
  localReport: { overdue?: boolean } | null;
}

export async function seedDemo(o: SeedOptions): Promise<boolean> {
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' };
  const posted: { sample: Sample; id: string; acted: boolean }[] = [];
  for (const [i, s] of SAMPLES.entries()) {
    const res = await fetch(`${o.gatewayUrl}/v1/transfers`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': `demo-seed-${String(s.body.externalRef)}-${i}` },
      body: JSON.stringify(s.body),
    });
    const body = (await res.json()) as TransferView & { detail?: string };
    if (res.status !== 202) {
      o.log(`could not post "${s.label}": ${res.status} ${body.detail ?? ''}`);
      return false;
    }
    posted.push({ sample: s, id: body.id, acted: false });
    o.log(`posted ${body.id}  ${s.label}`);
  }

  const reached = (t: TransferView, expect: string) =>
    expect === 'overdue' ? t.localReport?.overdue === true : t.state === expect;
  const deadline = Date.now() + (o.timeoutMs ?? 120_000);
  let last = '';
  for (;;) {
    const views = await Promise.all(
      posted.map(async (p) => {
        const res = await fetch(`${o.gatewayUrl}/v1/transfers/${p.id}`, { headers });
        return (await res.json()) as TransferView;
      }),
    );
    for (const [i, p] of posted.entries()) {
      const t = views[i];
      if (!t || p.acted || !p.sample.then || t.state === 'accepted') continue;
      const base = o.partners[t.target];
      const path =
        p.sample.then === 'reject'
          ? `/__control/records/${p.id}/decide`
          : `/__control/records/${p.id}/hold-report`;
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'reject', reason: '经审核，该团员不属于本组织接收范围' }),
      });
      p.acted = res.status === 204;
    }
    const line = posted
      .map((p, i) => {
        const t = views[i];
        const overdue = t?.localReport?.overdue ? ' (overdue)' : '';
        return `${p.sample.label}: ${t?.state ?? '?'}${overdue}`;
      })
      .join(' · ');
    if (line !== last) o.log(line);
    last = line;
    if (posted.every((p, i) => views[i] && reached(views[i], p.sample.expect))) {
      o.log(
        'every sample journey reached its end: see each with GET /v1/transfers/{id} or `npm run cli -- transfers list`',
      );
      return true;
    }
    if (Date.now() > deadline) {
      o.log('not every sample reached its end in time (see the states above)');
      return false;
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const env = loadDotenvFile(fileURLToPath(new URL('../.env.example', import.meta.url)));
  const keys = JSON.parse(env.API_KEYS ?? '[]') as { id: string; key: string }[];
  const ok = await seedDemo({
    gatewayUrl: env.PUBLIC_URL ?? 'http://127.0.0.1:3000',
    apiKey: keys.find((k) => k.id === 'beijing')?.key ?? '',
    partners: Object.fromEntries(
      builtInPartners.all().map((d) => [d.id, env[`${d.envPrefix}_BASE_URL`] ?? '']),
    ),
    log: (line) => console.log(`[seed] ${line}`),
  });
  process.exit(ok ? 0 : 1);
}
