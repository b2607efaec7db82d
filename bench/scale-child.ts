/**
 * One measurement of `npm run bench -- scale`, in a process of its own so that its peak RSS is its
 * own: `scale-child.ts DIR QUANT` loads the model and prints one JSON line with the load time, the
 * peak RSS (VmHWM), the bytes tfjs holds and where the projections are held (device or host); `scale-child.ts DIR QUANT train SEQ STEPS` then trains
 * LoRA on all projections (batch 1, random tokens) and adds tokens/s over the steps after the first.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { activeBackend, disposeLora, initBackend, lastLogits, linearStorage, loadModel, Rng, trainConfig, type Quant } from '@retort/engine';
import { randomExamples, timedTraining } from './train-timing';

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function main(): Promise<void> {
  const [dir, quant, mode, seqArg, stepsArg] = process.argv.slice(2) as [string, Quant, string?, string?, string?];
  await initBackend(undefined, () => undefined);
  const t0 = Date.now();
  try {
    const model = loadModel(dir, { quant });
    const loadMs = Date.now() - t0;
    const deviceBytes = tf.memory().numBytes;
    const t1 = Date.now();
    lastLogits(model, [[1, 2, 3, 4]]).dataSync();
    const forwardMs = Date.now() - t1;
    const storage = linearStorage(model);
    const figures: Record<string, unknown> = { ok: true, backend: activeBackend()!.name, loadMs, forwardMs, deviceBytes, weightsWhere: storage.where, linearBytes: storage.bytes };
    if (mode === 'train') {
      const [seq, steps] = [Number(seqArg), Number(stepsArg)];
      const { result, stepMs, tokensPerSec } = await timedTraining(
        {
          model,
          train: randomExamples(new Rng(1), steps, seq, model.config.vocabSize),
          padId: 0,
          profileMemory: true,
          config: trainConfig({ quant, steps, batchSize: 1, lr: 1e-4, warmupSteps: 0, maxSeqLen: seq, gradientCheckpointing: true, lora: { r: 8, alpha: 16 } }),
        },
        seq,
      );
      disposeLora(result.adapter);
      Object.assign(figures, { seq, stepMs, trainTokensPerSec: tokensPerSec, stepPeakBytes: result.peakBytes, losses: result.losses });
    }
    process.stdout.write(JSON.stringify({ ...figures, peakRssBytes: peakRssBytes() }) + '\n');
  } catch (err) {
    process.stdout.write(JSON.stringify({ ok: false, backend: activeBackend()!.name, error: (err as Error).message, afterMs: Date.now() - t0, peakRssBytes: peakRssBytes() }) + '\n');
  }
}

void main();
