/**
 * Stored transfers the delivery cannot send: a record accepted by intake, then damaged in the store, as
 * data written by an older version (before a rule tightened), a restore, or a bug would be. Intake
 * refuses such values today, so a test puts them in the store directly:
 *
 * - `bad_org_name`: the destination's full name holds an unpaired surrogate. The national adapter
 *   throws while encoding its name-check query (URIError), before any request leaves: an exception
 *   inside an adapter, not a partner failure.
 * - `bad_pii`: the sealed personal data does not open (PiiDecryptionError), before the adapter is called.
 */
import type { RedisClient } from '../../src/redis.js';
import { primaryOnly } from '../../src/store/replicas.js';
import { builtInPartners } from '../../adapters/registry.js';
import { BackgroundTasks } from '../../src/background.js';
import { validateCreateTransfer } from '../../src/domain/intake.js';
import { systemClock } from '../../src/clock.js';
import type { PiiCipher } from '../../src/crypto/pii.js';
import { createLogger } from '../../src/log.js';
import type { TransferStore } from '../../src/store/transfer-store.js';
import type { TransferDoc } from '../../src/store/types.js';
import { createTransfer, type Enqueuer } from '../../src/usecases/create-transfer.js';
import { transferBody } from './bodies.js';

export type PoisonKind = 'bad_org_name' | 'bad_pii';

export interface PoisonDeps {
  redis: RedisClient;
  prefix: string;
  store: TransferStore;
  cipher: PiiCipher;
  /** Queues the delivery job once the record is damaged. */
  queue: Enqueuer;
}

const nowhere: Enqueuer = { enqueue: () => Promise.resolve() };

/** Stores a valid national transfer, damages it, then queues its delivery. Answers its id. */
export async function storePoison(deps: PoisonDeps, kind: PoisonKind, n: number): Promise<string> {
  const body = transferBody(
    {
      externalRef: `BJ-POISON-${n}`,
      destination: { provinceCode: '31', orgFullName: '共青团上海市黄浦区委员会' },
    },
    90_000 + n,
  );
  const input = validateCreateTransfer(body, { now: new Date(), routes: builtInPartners.routes() });
  const { transfer } = await createTransfer(
    {
      store: deps.store,
      cipher: deps.cipher,
      queue: nowhere,
      durability: primaryOnly,
      clock: systemClock,
      log: createLogger('silent'),
      idempotencyTtlSeconds: 3600,
      background: new BackgroundTasks(),
    },
    'beijing',
    `poison-${n}-${kind}`,
    input,
    body,
  );
  const id = transfer.doc.id;
  const key = `${deps.prefix}:trf:${id}`;
  if (kind === 'bad_org_name') {
    const doc = JSON.parse((await deps.redis.hget(key, 'doc')) ?? '{}') as TransferDoc;
    doc.destination.orgFullName = `共青团上海市\uD800黄浦区委员会`;
    await deps.redis.hset(key, 'doc', JSON.stringify(doc));
  } else {
    const sealed = (await deps.redis.hget(key, 'pii')) ?? '';
    await deps.redis.hset(key, 'pii', `${sealed.slice(0, -8)}AAAAAAAA`);
  }
  await deps.queue.enqueue(id, 'national', 1);
  return id;
}
