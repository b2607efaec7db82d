/** LoRA with PEFT semantics: y = W x + s * B A dropout(x), s = alpha / r (alpha / sqrt(r) with rsLoRA). */
import * as tf from '@tensorflow/tfjs-core';
import { moduleName, projectionShape, PROJECTIONS, targetProjections } from '@retort/contracts';
import { Rng } from './rng';
import { LoraAdapter, LoraConfig, Model } from './types';

export const DEFAULT_LORA: LoraConfig = { r: 8, alpha: 16, dropout: 0, targetModules: [...PROJECTIONS], useRslora: false };

export function loraScale(c: LoraConfig): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/** A fresh adapter: A Kaiming-uniform (bound 1/sqrt(in), as PEFT's kaiming_uniform_(a=sqrt(5))), B zeros. */
export function createLora(model: Model, partial: Partial<LoraConfig> = {}, seed = 0): LoraAdapter {
  const config: LoraConfig = { ...DEFAULT_LORA, ...partial };
  if (!Number.isInteger(config.r) || config.r < 1) throw new Error(`LoRA r must be a positive integer (got ${config.r})`);
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error(`LoRA dropout must be in [0, 1) (got ${config.dropout})`);
  const rng = new Rng(seed);
  const modules = new Map<string, { at: tf.Variable<tf.Rank.R2>; bt: tf.Variable<tf.Rank.R2> }>();
  for (let i = 0; i < model.config.numLayers; i++) {
    for (const p of targetProjections(config.targetModules)) {
      const [inp, out] = projectionShape(model.config, p);
      const bound = 1 / Math.sqrt(inp);
      const a = new Float32Array(config.r * inp); // lora_A [r, in], stored transposed
      for (let j = 0; j < a.length; j++) a[j] = (2 * rng.next() - 1) * bound;
      modules.set(moduleName(i, p), {
        at: tf.variable(tf.tidy(() => tf.transpose(tf.tensor2d(a, [config.r, inp])))),
        bt: tf.variable(tf.zeros([config.r, out])),
      });
    }
  }
  return { config, scale: loraScale(config), modules };
}

export function loraVariables(adapter: LoraAdapter): tf.Variable[] {
  return [...adapter.modules.values()].flatMap((m) => [m.at, m.bt]);
}

export function disposeLora(adapter: LoraAdapter): void {
  tf.dispose(loraVariables(adapter));
}
