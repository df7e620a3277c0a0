/**
 * Preloaded into the footprint benchmark's gateway processes (with --expose-gc), never into a real
 * one: on SIGUSR2 the process runs two full garbage collections and writes its memory figures to
 * GC_PROBE_FILE. Heap in use after a full collection is what the process really retains, so a leak
 * shows there, while VmRSS also moves with how much heap V8 chose to reserve.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.GC_PROBE_FILE;
const gc = (globalThis as { gc?: () => void }).gc;
if (file && gc) {
  process.on('SIGUSR2', () => {
    gc();
    gc();
    const m = process.memoryUsage();
    writeFileSync(
      file,
      JSON.stringify({ heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external }),
    );
  });
}
