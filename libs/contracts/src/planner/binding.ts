/**
 * The largest single tensor a job puts on the device. On webgpu every tensor is one storage buffer
 * bound whole to a shader, so it must fit the adapter's maxStorageBufferBindingSize (128 MiB on
 * lavapipe, 2-4 GiB on most GPUs): a 152k-vocabulary embedding, or the logits of a long batch, may not.
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
  const N = job.batch * job.seq;
  const candidates: LargestTensor[] = [
    { what: model.tied ? 'embedding (tied lm_head)' : 'embedding', shape: [V, D], bytes: 0, kind: 'weight' },
    I >= H * d ? { what: 'MLP projection', shape: [I, D], bytes: 0, kind: 'weight' } : { what: 'attention projection', shape: [H * d, D], bytes: 0, kind: 'weight' },
    // all heads' scores in one tensor ([B * kv heads, heads per kv head * T, T] in the engine)
    { what: 'attention scores', shape: [job.batch * H, job.seq, job.seq], bytes: 0, kind: 'activation' },
    job.task === 'train' ? { what: 'logits', shape: [N, V], bytes: 0, kind: 'activation' } : { what: 'logits', shape: [job.batch, V], bytes: 0, kind: 'activation' },
  ];
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
