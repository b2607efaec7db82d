/** Engine benchmark: LoRA training tokens/s and KV-cache generation tokens/s on a fixed config, vs PyTorch eager. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { activeBackend, chosenOpenBlasCoreType, disposeLora, initBackend, initModel, loadModel, Rng, trainConfig } from '@retort/engine';
import { randomExamples, timedGeneration, timedTraining } from './train-timing';

export const BENCH_CONFIG = {
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 8,
  intermediate_size: 688,
  vocab_size: 2048,
  tie_word_embeddings: false,
};
export const SEQ = 256;
export const BATCH = 8;
export const RANK = 8;
const TRAIN_STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? 4); // timed, after one warm-up step
const GEN_TOKENS = Number(process.env.BENCH_GEN_TOKENS ?? 64);
const PROMPT = 16;

export interface Figures {
  trainTokensPerSec: number;
  /** The same training with gradient checkpointing (retort only). */
  trainCheckpointedTokensPerSec?: number;
  genTokensPerSec: number;
  detail: string;
}

export async function engineFigures(): Promise<Figures> {
  // One core against PyTorch's one thread (the reference script sets it); the wasm backend has one.
  process.env.RETORT_BLAS_THREADS ??= '1';
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retort-bench-'));
  try {
    initModel({ family: 'llama', config: BENCH_CONFIG, out: dir, seed: 0 });
    const model = loadModel(dir);
    const rng = new Rng(1);
    const examples = randomExamples(rng, BATCH * (TRAIN_STEPS + 1), SEQ, BENCH_CONFIG.vocab_size);
    const timeTraining = async (gradientCheckpointing: boolean) => {
      const { result, stepMs, tokensPerSec } = await timedTraining(
        { model, train: examples, padId: 0, config: trainConfig({ steps: TRAIN_STEPS + 1, batchSize: BATCH, lr: 1e-4, warmupSteps: 0, maxSeqLen: SEQ, gradientCheckpointing, lora: { r: RANK, alpha: 16 } }) },
        BATCH * SEQ,
      );
      disposeLora(result.adapter);
      return { timed: stepMs.slice(1), tokensPerSec };
    };
    const { timed, tokensPerSec: trainTokensPerSec } = await timeTraining(false);
    const trainCheckpointedTokensPerSec = (await timeTraining(true)).tokensPerSec;
    const prompt = Array.from({ length: PROMPT }, () => rng.int(BENCH_CONFIG.vocab_size));
    const genTokensPerSec = await timedGeneration(model, prompt, GEN_TOKENS);
    const b = activeBackend()!;
    return { trainTokensPerSec, trainCheckpointedTokensPerSec, genTokensPerSec, detail: `${b.name} (${b.detail}); step ms ${timed.join(', ')}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The OpenBLAS kernel set the engine picks, for the reference too (the engine sets it when it loads its addon). */
function coreType(): { OPENBLAS_CORETYPE?: string } {
  const core = chosenOpenBlasCoreType();
  return core ? { OPENBLAS_CORETYPE: core } : {};
}

/** The PyTorch eager reference (scripts/bench_reference_torch.py), when Debian's python3-torch is installed. */
export function torchFigures(flags?: string[]): Figures | string {
  const py = process.env.RETORT_TORCH_PYTHON ?? '/usr/bin/python3';
  const script = path.join(__dirname, '..', 'scripts', 'bench_reference_torch.py');
  const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return `skipped: ${py} cannot import torch`;
  const args = [script, ...(flags ?? ['--train-steps', String(TRAIN_STEPS), '--gen-tokens', String(GEN_TOKENS), '--prompt', String(PROMPT)])];
  const res = spawnSync(py, args, { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, ...coreType() } });
  if (res.status !== 0) return `failed: ${res.stderr.trim().split('\n').pop()}`;
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as Figures;
}

export async function engineSection(): Promise<Record<string, unknown>> {
  const cfg = `hidden 256, 4 layers, 8 heads, intermediate 688, vocab 2048, seq ${SEQ}, batch ${BATCH}, LoRA r=${RANK} on all linear projections`;
  console.log(`engine: ${cfg}`);
  const ours = await engineFigures();
  console.log(`  retort engine  train ${ours.trainTokensPerSec.toFixed(0)} tok/s (gradient checkpointing ${ours.trainCheckpointedTokensPerSec!.toFixed(0)})   generate (KV cache) ${ours.genTokensPerSec.toFixed(1)} tok/s   [${ours.detail}]`);
  const ref = torchFigures();
  if (typeof ref === 'string') {
    console.log(`  pytorch eager  ${ref}`);
    return { config: cfg, engine: ours, torch: ref };
  }
  console.log(`  pytorch eager  train ${ref.trainTokensPerSec.toFixed(0)} tok/s   generate (KV cache) ${ref.genTokensPerSec.toFixed(1)} tok/s   [${ref.detail}]`);
  const ratio = { train: ours.trainTokensPerSec / ref.trainTokensPerSec, generate: ours.genTokensPerSec / ref.genTokensPerSec };
  console.log(`  ratio          train ${ratio.train.toFixed(2)}x   generate ${ratio.generate.toFixed(2)}x   (retort / pytorch)`);
  return { config: cfg, engine: ours, torch: ref, ratio };
}
