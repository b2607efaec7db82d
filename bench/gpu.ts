/**
 * `npm run bench -- gpu`: the engine on the webgpu backend (Dawn, any Vulkan GPU): LoRA training
 * tokens/s, KV-cache generation tokens/s and peak device memory on the bench config and on random
 * models shaped like Qwen2-0.5B, DeepSeek-R1-Distill-Qwen-1.5B and -7B (QLoRA); a shape the adapter
 * cannot hold is skipped with one line. `npm run bench -- gpu --profile`: the kernels of one training
 * step, grouped by name. Shapes: BENCH_GPU_SIZES (default bench,0.5b,1.5b,7b), BENCH_GPU_BATCH and
 * BENCH_GPU_SEQ (default 8 x 256 on the bench config, 1 x 512 on the others); models are written
 * under BENCH_GPU_DIR (default the temp dir) and removed afterwards.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  activeBackend, disposeLora, disposeModel, formatBytes, initBackend, initModel, loadModel,
  planMemory, profileKernels, Rng, switchBackend, train, type BackendInfo, type Model, type TrainOptions,
} from '@retort/engine';
import { RANK } from './engine';
import { planInput, selectedShapes, shapeModelConfig, shapeRefusal, shapeTrainConfig, type GpuShape } from './gpu-shapes';
import { randomExamples, timedGeneration, timedTraining } from './train-timing';

export const DEFAULT_TRAIN_STEPS = 4; // timed, after one warm-up step
const TRAIN_STEPS = Number(process.env.BENCH_TRAIN_STEPS ?? DEFAULT_TRAIN_STEPS);
const GEN_TOKENS = Number(process.env.BENCH_GEN_TOKENS ?? 64);
const PROMPT = 16;
const TOP_KERNELS = 15;

async function webgpu(): Promise<BackendInfo | string> {
  try {
    return activeBackend() ? await switchBackend('webgpu') : await initBackend('webgpu', () => undefined);
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/** Writes the shape's random model and loads it. */
function loadShape(shape: GpuShape, dir: string): Model {
  initModel({ family: shape.family, config: shapeModelConfig(shape), out: dir, seed: 0 });
  return loadModel(dir, { quant: shape.quant });
}

function trainOptions(shape: GpuShape, model: Model, steps: number, rng: Rng): TrainOptions {
  return {
    model,
    train: randomExamples(rng, shape.batch * steps, shape.seq, model.config.vocabSize),
    padId: 0,
    config: shapeTrainConfig(shape, steps),
  };
}

async function withShape<T>(shape: GpuShape, work: (model: Model) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(process.env.BENCH_GPU_DIR ?? os.tmpdir(), 'retort-gpu-'));
  let model: Model | undefined;
  try {
    model = loadShape(shape, dir);
    return await work(model);
  } finally {
    if (model) disposeModel(model);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function shapeFigures(shape: GpuShape): Promise<Record<string, unknown>> {
  return withShape(shape, async (model) => {
    // Every tensor the model holds (numBytesInGPU would miss those webgpu has not uploaded yet: it uploads at first use).
    const weightBytes = tf.memory().numBytes;
    const rng = new Rng(1);
    const { result, stepMs, tokensPerSec } = await timedTraining({ ...trainOptions(shape, model, TRAIN_STEPS + 1, rng), profileMemory: true }, shape.batch * shape.seq);
    disposeLora(result.adapter);
    const prompt = Array.from({ length: PROMPT }, () => rng.int(model.config.vocabSize));
    const genTokensPerSec = await timedGeneration(model, prompt, GEN_TOKENS);
    return { trainTokensPerSec: tokensPerSec, stepMs, genTokensPerSec, weightBytes, stepPeakBytes: result.peakBytes, plannedStepBytes: planMemory(planInput(shape)).bytes.total };
  });
}

/** Tokens/s with one decimal, or three significant digits below 1 (a software device's 7B step: 0.0489). */
function rate(tokensPerSec: number): string {
  return tokensPerSec >= 1 ? tokensPerSec.toFixed(1) : tokensPerSec.toPrecision(3);
}

function describeShape(s: GpuShape): string {
  return `${s.name}: LoRA r=${RANK} all projections${s.quant === 'nf4' ? ' on NF4 (QLoRA)' : ''}, batch ${s.batch} x seq ${s.seq}${s.gradientCheckpointing ? ', gradient checkpointing' : ''}`;
}

function refusal(shape: GpuShape, info: BackendInfo): string | undefined {
  const memoryGb = process.env.BENCH_GPU_MEMORY_GB;
  return shapeRefusal(shape, info.adapter!.limits.maxStorageBufferBindingSize, memoryGb ? Number(memoryGb) * 1024 ** 3 : undefined);
}

async function figuresSection(shapes: GpuShape[], info: BackendInfo): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const shape of shapes) {
    const why = refusal(shape, info);
    if (why) {
      console.log(`  ${shape.name}: skipped: ${why}`);
      results[shape.key] = { skipped: why };
      continue;
    }
    try {
      const f = await shapeFigures(shape);
      console.log(
        `  ${describeShape(shape)}\n` +
          `    train ${rate(f.trainTokensPerSec as number)} tok/s (step ms ${(f.stepMs as number[]).join(', ')})   generate (KV cache) ${rate(f.genTokensPerSec as number)} tok/s\n` +
          `    device memory: weights ${formatBytes(f.weightBytes as number)}, training step peak ${formatBytes(f.stepPeakBytes as number)} (planner ${formatBytes(f.plannedStepBytes as number)})`,
      );
      results[shape.key] = f;
    } catch (err) {
      const msg = (err as Error).message.split('\n')[0];
      console.log(`  ${shape.name}: failed: ${msg}`);
      results[shape.key] = { failed: msg };
    }
  }
  return results;
}

/** One warm-up step (shaders compile), then one profiled step. */
async function profileSection(shape: GpuShape): Promise<Record<string, unknown>> {
  return withShape(shape, async (model) => {
    const rng = new Rng(1);
    disposeLora((await train(trainOptions(shape, model, 1, rng))).adapter);
    const p = await profileKernels(async () => {
      disposeLora((await train(trainOptions(shape, model, 1, rng))).adapter);
    }, TOP_KERNELS);
    console.log(`  one training step, ${describeShape(shape)}: wall ${p.wallMs.toFixed(0)} ms, ${p.kernelCount} tfjs kernels, ${p.dispatches ?? '?'} shaders dispatched, ${p.kernelMs.toFixed(0)} ms timed in kernels${p.untimed ? ` (${p.untimed} untimed)` : ''}, peak ${formatBytes(p.peakBytes)}`);
    for (const r of p.rows) console.log(`    ${r.name.padEnd(24)} ${r.totalMs.toFixed(1).padStart(9)} ms ${(p.kernelMs ? (100 * r.totalMs) / p.kernelMs : 0).toFixed(1).padStart(5)}%  ${r.count} calls`);
    return { ...p };
  });
}

/** The bytes each chosen shape's weights take as a LoRA and as a QLoRA base, with and without bf16 storage. */
async function weightsSection(shapes: GpuShape[]): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const shape of shapes) {
    const dir = fs.mkdtempSync(path.join(process.env.BENCH_GPU_DIR ?? os.tmpdir(), 'retort-gpu-'));
    try {
      initModel({ family: shape.family, config: shapeModelConfig(shape), out: dir, seed: 0 });
      const row: Record<string, number> = {};
      for (const quant of ['none', 'nf4'] as const) {
        for (const bf16 of [false, true]) {
          const before = tf.memory().numBytes;
          const model = loadModel(dir, { quant, bf16 });
          row[`${quant === 'nf4' ? 'qlora' : 'lora'}${bf16 ? 'Bf16' : 'Float32'}`] = tf.memory().numBytes - before;
          disposeModel(model);
        }
      }
      console.log(
        `  ${shape.name} weights: LoRA base ${formatBytes(row.loraFloat32)} float32, ${formatBytes(row.loraBf16)} bf16; ` +
          `QLoRA ${formatBytes(row.qloraFloat32)} with a float32 embedding and lm_head, ${formatBytes(row.qloraBf16)} bf16`,
      );
      results[shape.key] = row;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

export async function gpuSection(flags: string[] = []): Promise<Record<string, unknown>> {
  const info = await webgpu();
  if (typeof info === 'string') {
    console.log(`gpu: skipped: ${info}`);
    return { skipped: info };
  }
  const adapter = info.adapter!;
  console.log(`gpu: webgpu, ${info.detail}${adapter.software ? ' (a software device: figures of the CPU, not of a GPU)' : ''}`);
  const shapes = selectedShapes();
  const base = { adapter };
  if (flags.includes('--profile')) {
    const why = refusal(shapes[0], info);
    if (why) {
      console.log(`  ${shapes[0].name}: skipped: ${why}`);
      return { ...base, skipped: why };
    }
    return { ...base, profile: await profileSection(shapes[0]) };
  }
  if (flags.includes('--weights')) return { ...base, weights: await weightsSection(shapes) };
  return { ...base, shapes: await figuresSection(shapes, info) };
}
