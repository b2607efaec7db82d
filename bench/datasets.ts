/**
 * Validation throughput and memory: generates demo-support JSONL files of 100,000 and 1,000,000
 * records on disk, streams each through validateJsonl (purpose train, token limit on) into a
 * counting sink, and samples process.memoryUsage() every 10 ms. Peak heap should not grow with
 * the file. `npm run bench -- datasets`; BENCH_DATASETS_SIZES=100000,1000000 chooses the sizes.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { validateJsonl, writeSupportFile } from '@retort/datasets';

export interface DatasetsBenchOptions {
  /** Record counts to measure, in order (default 100,000 then 1,000,000). */
  sizes?: number[];
  /** Where the generated files go (default a fresh folder under the OS temp dir, removed after). */
  dir?: string;
  log?: (line: string) => void;
}

export interface DatasetsBenchRow {
  records: number;
  fileMb: number;
  seconds: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  /** RSS when validation starts (after generating the file), and its peak during validation. */
  startRssMb: number;
  peakRssMb: number;
  peakHeapMb: number;
  /** Heap in use after a full collection once the run is over, less the same before it. */
  retainedHeapMb: number;
  errors: number;
}

export const DATASETS_TARGET_RECORDS_PER_SECOND = 50_000;

export async function benchDatasets(opts: DatasetsBenchOptions = {}): Promise<DatasetsBenchRow[]> {
  const sizes = opts.sizes ?? [100_000, 1_000_000];
  const log = opts.log ?? console.log;
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'retort-bench-datasets-'));
  const rows: DatasetsBenchRow[] = [];
  try {
    for (const records of sizes) {
      const file = path.join(dir, `support-${records}.jsonl`);
      await writeSupportFile(file, { kind: 'train', count: records, seed: 1 });
      rows.push(await measure(file, records));
    }
  } finally {
    if (!opts.dir) rmSync(dir, { recursive: true, force: true });
  }
  log(table(rows));
  return rows;
}

/** A full collection between runs, so that one run's garbage does not count against the next. */
function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function measure(file: string, records: number): Promise<DatasetsBenchRow> {
  const gc = collector();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const startRss = process.memoryUsage().rss;
  const peak = { rss: 0, heap: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  };
  const timer = setInterval(sample, 10);
  const canonical = new PassThrough();
  canonical.on('data', () => undefined); // a sink that keeps up, like an upload to storage
  const start = process.hrtime.bigint();
  const result = await validateJsonl(createReadStream(file, { highWaterMark: 1 << 20 }), canonical, { purpose: 'train', maxTokens: 4096 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(timer);
  sample();
  gc();
  const retained = process.memoryUsage().heapUsed - heapBefore;
  const fileMb = statSync(file).size / 2 ** 20;
  if (result.records !== records) throw new Error(`expected ${records} valid records, got ${result.records}: ${JSON.stringify(result.errors.slice(0, 3))}`);
  return {
    records,
    fileMb: round(fileMb),
    seconds: round(seconds),
    recordsPerSecond: Math.round(records / seconds),
    mbPerSecond: round(fileMb / seconds),
    startRssMb: round(startRss / 2 ** 20),
    peakRssMb: round(peak.rss / 2 ** 20),
    peakHeapMb: round(peak.heap / 2 ** 20),
    retainedHeapMb: round(retained / 2 ** 20),
    errors: result.totalErrors,
  };
}

/** The `datasets` section for bench/run.ts (SECTIONS: { datasets: datasetsSection }). */
export async function datasetsSection(): Promise<Record<string, unknown>> {
  const sizes = process.env.BENCH_DATASETS_SIZES?.split(',').map(Number);
  const rows = await benchDatasets({ sizes });
  return { targetRecordsPerSecond: DATASETS_TARGET_RECORDS_PER_SECOND, rows };
}

function table(rows: DatasetsBenchRow[]): string {
  const head = ['records', 'file MB', 'seconds', 'records/s', 'MB/s', 'start RSS MB', 'peak RSS MB', 'peak heap MB', 'retained heap MB'];
  const body = rows.map((r) => [r.records, r.fileMb, r.seconds, r.recordsPerSecond, r.mbPerSecond, r.startRssMb, r.peakRssMb, r.peakHeapMb, r.retainedHeapMb].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  const verdict = rows.every((r) => r.recordsPerSecond >= DATASETS_TARGET_RECORDS_PER_SECOND) ? 'meets' : 'MISSES';
  return ['validateJsonl (purpose train, maxTokens 4096, canonical output to a sink)', fmt(head), ...body.map(fmt), `${verdict} the target of ${DATASETS_TARGET_RECORDS_PER_SECOND} records/s`].join('\n');
}

const round = (x: number) => Math.round(x * 100) / 100;
