/**
 * The largest single tensor a job puts on the device. On webgpu every tensor is one storage buffer
 * bound whole to a shader, so it must fit the adapter's maxStorageBufferBindingSize (128 MiB on
 * lavapipe, 2-4 GiB on most GPUs). No weight decides: the embedding and lm_head (2.0 GiB for a 152k
 * vocabulary at 7B) are held as blocks of rows that fit, and so is a projection whose float32 form
 * does not (the engine's row-blocks.ts and linear-weights.ts); a step's logits are made in chunks of
 * rows (head-loss.ts), attention's scores a part at a time (attention-parts.ts) and the MLP a chunk
 * of token rows at a time. What may not fit is a layer's hidden states [tokens, hidden] (or its
 * queries, where they are wider) at a large batch or a long sequence.
 */
import { F32_BYTES as F32 } from './bytes';
import { formatBytes, planMemory } from './plan';
import type { PlanInput } from './types';

export interface LargestTensor {
  what: string;
  shape: number[];
  bytes: number;
}

/** Float32 everywhere, as the planner counts. */
export function largestTensor(input: PlanInput): LargestTensor {
  const { model, input: job } = planMemory(input);
  const { vocab: V, hidden: D, heads: H, headDim: d } = model;
  const tokens = job.batch * job.seq;
  const candidates: LargestTensor[] = [
    D >= H * d ? { what: 'hidden states', shape: [tokens, D], bytes: 0 } : { what: 'attention queries', shape: [tokens, H * d], bytes: 0 },
  ];
  // Generation's logits are those of the last position of each sequence; a training step makes its
  // logits [batch * seq, V] in chunks of rows that fit (the engine's head-loss.ts).
  if (job.task !== 'train') candidates.push({ what: 'logits', shape: [job.batch, V], bytes: 0 });
  for (const c of candidates) c.bytes = F32 * c.shape.reduce((a, b) => a * b, 1);
  return candidates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
}

/** Why the job cannot run with storage bindings of at most `maxBindingBytes`, or undefined when it can. */
export function bindingRefusal(input: PlanInput, maxBindingBytes: number): string | undefined {
  const t = largestTensor(input);
  if (t.bytes <= maxBindingBytes) return undefined;
  return (
    `its largest tensor, the ${t.what} [${t.shape.join(', ')}] (${formatBytes(t.bytes)} float32), is more than the webgpu adapter's ` +
    `maxStorageBufferBindingSize of ${formatBytes(maxBindingBytes)} (one tensor is one storage binding): try a smaller --batch-size or --max-seq-len`
  );
}
