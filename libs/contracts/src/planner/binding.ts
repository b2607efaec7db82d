/**
 * The largest single tensor a job puts on the device. On webgpu every tensor is one storage buffer
 * bound whole to a shader, so it must fit the adapter's maxStorageBufferBindingSize (128 MiB on
 * lavapipe, 2-4 GiB on most GPUs). The embedding and lm_head (2.0 GiB for a 152k vocabulary at 7B)
 * are held as blocks of rows that fit (the engine's row-blocks.ts), and a step's logits are made in
 * chunks of rows, so neither decides; a projection of a large model, or the attention scores of a
 * long batch, may not fit.
 */
import { F32_BYTES as F32 } from './bytes';
import { formatBytes, planMemory } from './plan';
import type { PlanInput } from './types';

export interface LargestTensor {
  what: string;
  shape: number[];
  bytes: number;
  /** A weight of the model (no smaller batch helps) or an activation of the step. */
  kind: 'weight' | 'activation';
}

/** Float32 everywhere, as the planner counts: NF4 projections are dequantized to float32 per layer. */
export function largestTensor(input: PlanInput): LargestTensor {
  const { model, input: job } = planMemory(input);
  const { vocab: V, hidden: D, intermediate: I, heads: H, headDim: d } = model;
  const candidates: LargestTensor[] = [
    I >= H * d ? { what: 'MLP projection', shape: [I, D], bytes: 0, kind: 'weight' } : { what: 'attention projection', shape: [H * d, D], bytes: 0, kind: 'weight' },
    // all heads' scores in one tensor ([B * kv heads, heads per kv head * T, T] in the engine)
    { what: 'attention scores', shape: [job.batch * H, job.seq, job.seq], bytes: 0, kind: 'activation' },
  ];
  // Generation's logits are those of the last position of each sequence; a training step makes its
  // logits [batch * seq, V] in chunks of rows that fit (the engine's head-loss.ts).
  if (job.task !== 'train') candidates.push({ what: 'logits', shape: [job.batch, V], bytes: 0, kind: 'activation' });
  for (const c of candidates) c.bytes = F32 * c.shape.reduce((a, b) => a * b, 1);
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/** Why the job cannot run with storage bindings of at most `maxBindingBytes`, or undefined when it can. */
export function bindingRefusal(input: PlanInput, maxBindingBytes: number): string | undefined {
  const t = largestTensor(input);
  if (t.bytes <= maxBindingBytes) return undefined;
  const advice =
    t.kind === 'weight'
      ? 'it cannot be loaded on this adapter: use an adapter with a larger limit, or another backend (RETORT_BACKEND=node-gpu or wasm)'
      : 'try a smaller --batch-size or --max-seq-len';
  return (
    `its largest tensor, the ${t.what} [${t.shape.join(', ')}] (${formatBytes(t.bytes)} float32), is more than the webgpu adapter's ` +
    `maxStorageBufferBindingSize of ${formatBytes(maxBindingBytes)} (one tensor is one storage binding): ${advice}`
  );
}
