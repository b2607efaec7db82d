/**
 * The shapes `npm run bench -- gpu` measures, and why one cannot run on the adapter (one storage
 * binding per tensor; the device memory given in BENCH_GPU_MEMORY_GB, as a worker's --memory-gb).
 */
import { bindingRefusal, DISTILL_CONFIGS, formatBytes, planMemory, trainConfig, type PlanInput, type Quant, type TrainConfig } from '@retort/engine';
import { BATCH, BENCH_CONFIG, RANK, SEQ } from './engine';
import { QWEN2_05B } from './scale';

export interface GpuShape {
  key: string;
  name: string;
  family: 'llama' | 'qwen2';
  config: Record<string, unknown>;
  quant: Quant;
  batch: number;
  seq: number;
  gradientCheckpointing: boolean;
}

const strip = ({ name: _n, ...c }: Record<string, unknown>) => c;

// The real students' shapes train one sequence of 512 tokens at a time, as bench/scale.ts does.
export const GPU_SHAPES: GpuShape[] = [
  { key: 'bench', name: 'bench config', family: 'llama', config: BENCH_CONFIG, quant: 'none', batch: BATCH, seq: SEQ, gradientCheckpointing: false },
  { key: '0.5b', name: 'Qwen2-0.5B', family: 'qwen2', config: QWEN2_05B, quant: 'none', batch: 1, seq: 512, gradientCheckpointing: false },
  { key: '1.5b', name: 'DeepSeek-R1-Distill-Qwen-1.5B', family: 'qwen2', config: strip(DISTILL_CONFIGS['1.5b']), quant: 'none', batch: 1, seq: 512, gradientCheckpointing: false },
  { key: '7b', name: 'DeepSeek-R1-Distill-Qwen-7B (QLoRA)', family: 'qwen2', config: strip(DISTILL_CONFIGS['7b']), quant: 'nf4', batch: 1, seq: 512, gradientCheckpointing: true },
];

/** The config fields the shape's random model is made from (bf16 for the real shapes, as published). */
export function shapeModelConfig(shape: GpuShape): Record<string, unknown> {
  return shape.key === 'bench' ? shape.config : { ...shape.config, torch_dtype: 'bfloat16', rope_theta: 10000, max_position_embeddings: 4096 };
}

/** The training the bench times on the shape: LoRA r=RANK on every projection, constant lr. */
export function shapeTrainConfig(shape: GpuShape, steps: number): TrainConfig {
  return trainConfig({ quant: shape.quant, steps, batchSize: shape.batch, lr: 1e-4, warmupSteps: 0, maxSeqLen: shape.seq, gradientCheckpointing: shape.gradientCheckpointing, lora: { r: RANK, alpha: 16 } });
}

/**
 * BENCH_GPU_SIZES (default every shape), in that order. BENCH_GPU_BATCH and BENCH_GPU_SEQ, where
 * set, replace each one's batch and sequence length (scripts/bench_reference_peft.py reads the same).
 */
export function selectedShapes(env: NodeJS.ProcessEnv = process.env): GpuShape[] {
  const list = env.BENCH_GPU_SIZES;
  const shapes = !list
    ? GPU_SHAPES
    : list.split(',').map((key) => {
        const shape = GPU_SHAPES.find((s) => s.key === key.trim());
        if (!shape) throw new Error(`BENCH_GPU_SIZES: "${key}" is not one of ${GPU_SHAPES.map((s) => s.key).join(', ')}`);
        return shape;
      });
  const batch = env.BENCH_GPU_BATCH ? Number(env.BENCH_GPU_BATCH) : undefined;
  const seq = env.BENCH_GPU_SEQ ? Number(env.BENCH_GPU_SEQ) : undefined;
  return shapes.map((s) => ({ ...s, batch: batch ?? s.batch, seq: seq ?? s.seq }));
}

export function planInput(shape: GpuShape): PlanInput {
  return { config: shape.config as PlanInput['config'], method: shape.quant === 'nf4' ? 'qlora' : 'lora', seq: shape.seq, batch: shape.batch, checkpoint: shape.gradientCheckpointing, backend: 'webgpu' };
}

/** Why the shape's training step cannot run on this adapter, or undefined when it may. */
export function shapeRefusal(shape: GpuShape, maxBindingBytes: number, memoryBytes?: number): string | undefined {
  const binding = bindingRefusal(planInput(shape), maxBindingBytes);
  if (binding) return binding;
  const planned = planMemory(planInput(shape)).bytes.total;
  if (memoryBytes !== undefined && planned > memoryBytes) return `the planner puts its step at ${formatBytes(planned)}, more than BENCH_GPU_MEMORY_GB's ${formatBytes(memoryBytes)}`;
  return undefined;
}
