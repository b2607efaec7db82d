/**
 * The shapes `npm run bench -- gpu` measures, and why one cannot run on the adapter (one storage
 * binding per tensor; the device memory given in BENCH_GPU_MEMORY_GB, as a worker's --memory-gb).
 */
import { bindingRefusal, DISTILL_CONFIGS, formatBytes, planMemory, type PlanInput, type Quant } from '@retort/engine';
import { BATCH, BENCH_CONFIG, SEQ } from './engine';
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
// The real students' shapes train one sequence at a time (their logits, [seq, 152k], are one binding).
const BIG_SEQ = Number(process.env.BENCH_GPU_SEQ ?? 512);
const BIG_BATCH = Number(process.env.BENCH_GPU_BATCH ?? 1);

export const GPU_SHAPES: GpuShape[] = [
  { key: 'bench', name: 'bench config', family: 'llama', config: BENCH_CONFIG, quant: 'none', batch: BATCH, seq: SEQ, gradientCheckpointing: false },
  { key: '0.5b', name: 'Qwen2-0.5B', family: 'qwen2', config: QWEN2_05B, quant: 'none', batch: BIG_BATCH, seq: BIG_SEQ, gradientCheckpointing: false },
  { key: '1.5b', name: 'DeepSeek-R1-Distill-Qwen-1.5B', family: 'qwen2', config: strip(DISTILL_CONFIGS['1.5b']), quant: 'none', batch: BIG_BATCH, seq: BIG_SEQ, gradientCheckpointing: false },
  { key: '7b', name: 'DeepSeek-R1-Distill-Qwen-7B (QLoRA)', family: 'qwen2', config: strip(DISTILL_CONFIGS['7b']), quant: 'nf4', batch: BIG_BATCH, seq: BIG_SEQ, gradientCheckpointing: true },
];

/** BENCH_GPU_SIZES (default every shape), in that order. */
export function selectedShapes(list = process.env.BENCH_GPU_SIZES): GpuShape[] {
  if (!list) return GPU_SHAPES;
  return list.split(',').map((key) => {
    const shape = GPU_SHAPES.find((s) => s.key === key.trim());
    if (!shape) throw new Error(`BENCH_GPU_SIZES: "${key}" is not one of ${GPU_SHAPES.map((s) => s.key).join(', ')}`);
    return shape;
  });
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
