/**
 * The lm_head and a loss over its logits, taken a chunk of token rows at a time. The logits of a
 * training step are [tokens, vocab]: 2.5 GB at seq 4096 for a 152k vocabulary, more than one webgpu
 * storage binding on most GPUs. Where they would not fit, each chunk's logits live only while its
 * loss is summed, and the backward pass recomputes them chunk by chunk (as checkpointing does a
 * layer), so no tensor of the step is larger than one chunk's logits. Where they fit, nothing changes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { addOneByOne, customGrad } from './ops';
import type { Model } from './types';
import { lmHead } from './model';

/** The loss of the logits [end - start, vocab] of rows start..end-1 of the hidden states. */
export type RowsLoss = (logits: tf.Tensor2D, start: number, end: number) => tf.Scalar;

/** Rows per chunk so that a chunk's logits fit the model's binding limit; all rows without one. */
export function logitRowsPerChunk(model: Model, rows: number): number {
  if (model.maxBindingBytes === undefined) return rows;
  return Math.max(1, Math.min(rows, Math.floor(model.maxBindingBytes / (4 * model.config.vocabSize))));
}

function chunks(rows: number, per: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < rows; s += per) out.push([s, Math.min(rows, s + per)]);
  return out;
}

/** sum over the chunks of loss(lmHead(hidden[chunk])), differentiable in hidden [N, hidden]. */
export function headLoss(model: Model, hidden: tf.Tensor2D, loss: RowsLoss): tf.Scalar {
  const N = hidden.shape[0];
  const per = logitRowsPerChunk(model, N);
  if (per >= N) return loss(lmHead(model, hidden), 0, N);
  const parts = chunks(N, per);
  const rows = (h: tf.Tensor, [s, e]: [number, number]) => tf.slice(h as tf.Tensor2D, [s, 0], [e - s, -1]);
  const f = customGrad((h: tf.Tensor, save: tf.GradSaveFunc) => {
    save([h]);
    return {
      value: addOneByOne(parts.map((p) => tf.tidy(() => loss(lmHead(model, rows(h, p)), p[0], p[1])))) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [hs]: tf.Tensor[]) => {
        // tf.grad inside a backward pass drops the engine's tape when it ends (see checkpointedLayer).
        const engine = tf.engine();
        const outerTape = engine.state.activeTape;
        try {
          return tf.concat(
            parts.map((p) => tf.grad((hc: tf.Tensor) => loss(lmHead(model, hc as tf.Tensor2D), p[0], p[1]))(rows(hs, p), dy as tf.Scalar)),
            0,
          );
        } finally {
          engine.state.activeTape = outerTape;
        }
      },
    };
  });
  return f(hidden) as tf.Scalar;
}

/** The same loss without gradients (evaluation): a chunk's logits freed before the next is made. */
export function headLossSums(model: Model, hidden: tf.Tensor2D, sums: (logits: tf.Tensor2D, start: number, end: number) => tf.Tensor): tf.Tensor {
  const N = hidden.shape[0];
  const per = logitRowsPerChunk(model, N);
  return addOneByOne(chunks(N, per).map(([s, e]) => tf.tidy(() => sums(lmHead(model, tf.slice(hidden, [s, 0], [e - s, -1])), s, e))));
}
