/**
 * Loaded with `node --import` into a gateway process by the durability test (never by the product):
 * the process kills itself at the worst moment of intake — the transfer is stored, its job not yet
 * queued. SIGKILL, so nothing gets to clean up, as in a real crash or OOM kill.
 */
import { Queue } from 'bullmq';

Queue.prototype.add = function crashInsteadOfAdding(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
};
