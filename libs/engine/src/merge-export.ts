/**
 * A merged export streamed from the base checkpoint: each tensor is read from the base's files, the
 * adapter's s·B·A added to the projections it targets, and written at once. The host holds one
 * tensor and the adapter at a time, so a 7B or 14B base merges on a machine that could not hold its
 * float32 copy. The sums are those of `mergeAdapter` bit for bit (float32, base + s·(B A)).
 */
import * as tf from '@tensorflow/tfjs-core';
import { moduleName, PROJECTIONS } from '@retort/contracts';
import { copyTokenizerFiles, openCheckpoint, writeCheckpointAsync, WriteCheckpointOptions } from './checkpoint';
import { dequantizeNf4Host, quantizeNf4 } from './nf4';
import { AsyncTensorToWrite } from './safetensors-file';
import { LoraAdapter, LoraModule, Quant } from './types';

export interface MergeExportOptions extends WriteCheckpointOptions {
  /** `nf4`: merge into the NF4-rounded base (every projection), the weights a QLoRA adapter was trained against. */
  quant?: Quant;
}

/** Writes base + adapter to `out` in HF layout (sharded as writeCheckpoint), with the base's tokenizer files. */
export async function writeMergedCheckpoint(baseDir: string, adapter: LoraAdapter, out: string, opts: MergeExportOptions = {}): Promise<{ files: string[]; totalBytes: number; merged: number }> {
  const reader = openCheckpoint(baseDir);
  try {
    const names = reader.names();
    for (const m of adapter.modules.keys()) {
      if (!names.includes(`${m}.weight`)) throw new Error(`${baseDir}: the adapter targets ${m}, which this checkpoint does not hold`);
    }
    const projections = new Set(Array.from({ length: reader.config.numLayers }, (_, i) => PROJECTIONS.map((p) => `${moduleName(i, p)}.weight`)).flat());
    const tensors: AsyncTensorToWrite[] = names.map((name) => ({
      name,
      shape: reader.shape(name)!,
      data: async function* () {
        const t = reader.read(name);
        const w = opts.quant === 'nf4' && projections.has(name) ? dequantizeNf4Host(quantizeNf4(t.data, t.shape as [number, number])) : t.data;
        const module = adapter.modules.get(name.slice(0, -'.weight'.length));
        yield module && projections.has(name) ? await addDelta(name, w, module, adapter.scale) : w;
      },
    }));
    const written = await writeCheckpointAsync(out, reader.config.raw, tensors, opts);
    copyTokenizerFiles(baseDir, out);
    return { ...written, merged: adapter.modules.size };
  } finally {
    reader.close();
  }
}

/** W [out, in] += s (B A), in place, refusing a non-finite result. */
async function addDelta(name: string, w: Float32Array, m: LoraModule, scale: number): Promise<Float32Array> {
  const delta = tf.tidy(() => tf.transpose(tf.mul(tf.matMul(m.at, m.bt), scale))); // (A^T B^T)^T = B A
  const d = (await delta.data()) as Float32Array;
  delta.dispose();
  if (d.length !== w.length) throw new Error(`merge: ${name} holds ${w.length} values, the adapter's update ${d.length}`);
  for (let i = 0; i < w.length; i++) {
    w[i] += d[i];
    if (!Number.isFinite(w[i])) throw new Error(`merge: ${name} has non-finite values after merging the adapter`);
  }
  return w;
}
