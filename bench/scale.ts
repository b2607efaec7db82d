/**
 * `npm run bench -- scale`: the engine on checkpoints shaped like the real students, made on the fly
 * (random bf16 weights, as Hugging Face publishes them; nothing committed). For each: load time, peak
 * RSS and device bytes, float32 and NF4, each in a process of its own; LoRA/QLoRA training tokens/s
 * at the 0.5B and 1.5B shapes, QLoRA at 7B (PyTorch eager beside the first two). Sizes: BENCH_SCALE_SIZES (default 0.5b,1.5b,7b); models are written
 * under BENCH_SCALE_DIR (default the temp dir) and removed afterwards unless BENCH_SCALE_KEEP=1.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DISTILL_CONFIGS, formatBytes, initModel } from '@retort/engine';
import { torchFigures } from './engine';

interface Case {
  name: string;
  config: Record<string, unknown>;
  maxShardBytes?: number;
  /** [quant, backend] loads to measure. */
  loads: [string, string][];
  /** [quant, seq, steps] training runs (wasm, gradient checkpointing, batch 1). */
  trains: [string, number, number][];
  /** Whether PyTorch eager runs beside the training (it builds the float32 model: 30 GB at 7B). */
  torch: boolean;
}

export const QWEN2_05B = { hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, tie_word_embeddings: true };
const strip = ({ name: _n, ...c }: Record<string, unknown>) => c;

const CASES: Record<string, Case> = {
  '0.5b': { name: 'Qwen2-0.5B', config: QWEN2_05B, loads: [['none', 'wasm'], ['nf4', 'wasm']], trains: [['none', 128, 3], ['nf4', 128, 3]], torch: true },
  '1.5b': { name: 'DeepSeek-R1-Distill-Qwen-1.5B', config: strip(DISTILL_CONFIGS['1.5b']), loads: [['none', 'wasm'], ['nf4', 'wasm']], trains: [['none', 128, 2], ['nf4', 128, 2]], torch: true },
  // 4 shards as published; NF4 only; the training run's own load is the load figure
  '7b': { name: 'DeepSeek-R1-Distill-Qwen-7B', config: strip(DISTILL_CONFIGS['7b']), maxShardBytes: 4e9, loads: [], trains: [['nf4', 128, 2]], torch: false },
};

function child(dir: string, backend: string, args: string[]): Record<string, any> {
  const res = spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'scale-child.ts'), dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, RETORT_BACKEND: backend, RETORT_BLAS_THREADS: process.env.RETORT_BLAS_THREADS ?? String(os.cpus().length) },
    maxBuffer: 1 << 24,
  });
  const line = res.stdout.trim().split('\n').pop();
  if (res.status !== 0 || !line) return { ok: false, error: `exit ${res.status}: ${res.stderr.trim().split('\n').slice(-3).join(' ')}` };
  return JSON.parse(line);
}

const gib = (n: number) => formatBytes(n);

export async function scaleSection(): Promise<Record<string, unknown>> {
  const sizes = (process.env.BENCH_SCALE_SIZES ?? '0.5b,1.5b,7b').split(',').map((s) => s.trim());
  const root = fs.mkdtempSync(path.join(process.env.BENCH_SCALE_DIR ?? os.tmpdir(), 'retort-scale-'));
  const results: Record<string, unknown> = {};
  try {
    for (const size of sizes) {
      const c = CASES[size];
      if (!c) throw new Error(`BENCH_SCALE_SIZES: "${size}" is not one of ${Object.keys(CASES).join(', ')}`);
      const dir = path.join(root, size);
      const t0 = Date.now();
      const written = initModel({ family: 'qwen2', out: dir, config: { ...c.config, torch_dtype: 'bfloat16', rope_theta: 10000, max_position_embeddings: 4096 }, maxShardBytes: c.maxShardBytes });
      const files = written.files.filter((f) => f.endsWith('.safetensors'));
      const bytes = files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
      console.log(`scale ${size} (${c.name} shape): wrote ${files.length} bf16 file(s), ${gib(bytes)}, in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      const entry: Record<string, unknown> = { files: files.length, bytes, loads: [], trains: [] };
      for (const [quant, backend] of c.loads) {
        const r = child(dir, backend, [quant]);
        (entry.loads as unknown[]).push({ quant, backend, ...r });
        console.log(
          r.ok
            ? `  load ${quant.padEnd(4)} on ${backend.padEnd(4)}  ${(r.loadMs / 1000).toFixed(1)} s   peak RSS ${gib(r.peakRssBytes)}   held by tfjs ${gib(r.deviceBytes)}   projections ${gib(r.linearBytes)} on the ${r.weightsWhere}   4-token forward ${(r.forwardMs / 1000).toFixed(1)} s`
            : `  load ${quant.padEnd(4)} on ${backend.padEnd(4)}  refused: ${r.error}`,
        );
      }
      for (const [quant, seq, steps] of c.trains) {
        const r = child(dir, 'wasm', [quant, 'train', String(seq), String(steps)]);
        (entry.trains as unknown[]).push({ quant, seq, steps, ...r });
        console.log(
          r.ok
            ? `  train ${quant === 'nf4' ? 'QLoRA' : 'LoRA '} r=8 all projections, batch 1 x seq ${seq}, gradient checkpointing: ${r.trainTokensPerSec.toFixed(1)} tok/s (step ms ${r.stepMs.join(', ')})   step peak ${gib(r.stepPeakBytes)}   peak RSS ${gib(r.peakRssBytes)}   (load ${(r.loadMs / 1000).toFixed(1)} s, weights on the ${r.weightsWhere})`
            : `  train ${quant}: failed: ${r.error}`,
        );
        if (!c.torch) continue;
        // PyTorch eager on the same shape and step (batch 1, r = 8, checkpointing), at this thread
        // count and at one thread (Debian's torch runs slower on two threads than on one here): the faster.
        const threads = Number(process.env.RETORT_BLAS_THREADS ?? os.cpus().length);
        const refs = [...new Set([threads, 1])].map((t) =>
          torchFigures(['--config', JSON.stringify({ model_type: 'qwen2', ...c.config }), '--seq', String(seq), '--batch', '1', '--rank', '8', '--alpha', '16', '--threads', String(t), '--checkpointing', '--train-steps', String(steps - 1), '--gen-tokens', '0', ...(quant === 'nf4' ? ['--nf4'] : [])]),
        );
        const entryTrain = (entry.trains as Record<string, unknown>[]).at(-1)!;
        entryTrain.torch = refs;
        for (const ref of refs) {
          if (typeof ref === 'string') console.log(`  pytorch eager: ${ref}`);
          else console.log(`  pytorch eager, same step${quant === 'nf4' ? ' (NF4 codes dequantized at each use)' : ''}: ${ref.trainTokensPerSec.toFixed(1)} tok/s [${ref.detail}]`);
        }
        const best = Math.max(...refs.map((ref) => (typeof ref === 'string' ? 0 : ref.trainTokensPerSec)));
        if (r.ok && best > 0) {
          entryTrain.ratio = r.trainTokensPerSec / best;
          console.log(`  ratio ${(r.trainTokensPerSec / best).toFixed(2)}x (retort / the faster pytorch)`);
        }
      }
      results[size] = entry;
      if (process.env.BENCH_SCALE_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    if (process.env.BENCH_SCALE_KEEP !== '1') fs.rmSync(root, { recursive: true, force: true });
  }
  return results;
}
