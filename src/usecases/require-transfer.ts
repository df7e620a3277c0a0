/** The transfer an id names, or 404 TRANSFER_NOT_FOUND (also for ids that cannot be transfer ids). */
import { AppError } from '../domain/errors.js';
import { TRANSFER_ID } from '../domain/ids.js';
import type { StoredTransfer, TransferStore } from '../store/transfer-store.js';

export async function requireTransfer(store: TransferStore, id: string): Promise<StoredTransfer> {
  const transfer = TRANSFER_ID.test(id) ? await store.get(id) : null;
  if (!transfer) throw new AppError('not_found', 'TRANSFER_NOT_FOUND', `no transfer with id ${id}`);
  return transfer;
}
