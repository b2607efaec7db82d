/**
 * `npm run bench -- profile`: where a training step of the engine bench's config goes, as wall time
 * per tfjs kernel (the wasm and cpu backends run kernels synchronously, so wall time is kernel time).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Example, initBackend, initModel, loadModel, Rng, train, trainConfig } from '@retort/engine';
import { BATCH, BENCH_CONFIG, RANK, SEQ } from './engine';

export async function profileSection(): Promise<Record<string, unknown>> {
  process.env.RETORT_BLAS_THREADS ??= '1';
  const info = await initBackend();
  const times = new Map<string, { ms: number; calls: number }>();
  let timing = false;
  for (const k of tf.getKernelsForBackend(info.tfjsName)) {
    const inner = k.kernelFunc;
    const kernelFunc: tf.KernelFunc = (args) => {
      if (!timing) return inner(args);
      const t0 = performance.now();
      const out = inner(args);
      const key = k.kernelName === 'BatchMatMul' ? `BatchMatMul${(args.attrs as { transposeA: boolean }).transposeA ? ' tA' : ''}${(args.attrs as { transposeB: boolean }).transposeB ? ' tB' : ''}` : k.kernelName;
      const e = times.get(key) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t0;
      e.calls += 1;
      times.set(key, e);
      return out;
    };
    tf.unregisterKernel(k.kernelName, k.backendName);
    tf.registerKernel({ ...k, kernelFunc });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-prof-'));
  initModel({ family: 'llama', config: BENCH_CONFIG, out: dir, seed: 0 });
  const model = loadModel(dir);
  const rng = new Rng(1);
  const steps = 3;
  const examples: Example[] = Array.from({ length: BATCH * steps }, () => ({ ids: Array.from({ length: SEQ }, () => rng.int(BENCH_CONFIG.vocab_size)), weights: Array.from({ length: SEQ }, (_, t) => (t < SEQ - 1 ? 1 : 0)) }));
  let n = 0;
  let t0 = 0;
  await train({
    model, train: examples, padId: 0,
    config: trainConfig({ steps, batchSize: BATCH, lr: 1e-4, warmupSteps: 0, maxSeqLen: SEQ, lora: { r: RANK, alpha: 16 } }),
    onProgress: () => { n += 1; if (n === 1) { timing = true; t0 = performance.now(); } },
  });
  const wall = performance.now() - t0;
  fs.rmSync(dir, { recursive: true, force: true });
  const total = [...times.values()].reduce((a, b) => a + b.ms, 0);
  const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
  console.log(`profile: ${steps - 1} training steps of the engine config on ${info.name} (${info.detail}): wall ${wall.toFixed(0)} ms, in kernels ${total.toFixed(0)} ms`);
  for (const [name, e] of rows.slice(0, 15)) console.log(`  ${name.padEnd(22)} ${e.ms.toFixed(0).padStart(6)} ms ${((100 * e.ms) / wall).toFixed(1).padStart(5)}%  ${e.calls} calls`);
  return { wallMs: wall, kernelMs: total, kernels: Object.fromEntries(rows) };
}
