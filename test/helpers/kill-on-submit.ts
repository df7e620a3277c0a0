/**
 * Loaded with `node --import` into a worker process by the crash tests (never by the product): a
 * delivery whose externalRef starts with BJ-KILLER kills its own worker process (SIGKILL, as the OOM
 * killer would) while it runs partner code, every time. Every other transfer is delivered as usual.
 */
import { GuangdongAdapter } from '../../adapters/guangdong/index.js';

const { submit } = Object.getOwnPropertyDescriptors(GuangdongAdapter.prototype);
const original = submit?.value as GuangdongAdapter['submit'];
GuangdongAdapter.prototype.submit = function killerSubmit(this: GuangdongAdapter, request, options) {
  if (request.externalRef.startsWith('BJ-KILLER')) process.kill(process.pid, 'SIGKILL');
  return original.call(this, request, options);
};
