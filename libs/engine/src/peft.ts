/**
 * PEFT adapter directories (adapter_config.json + adapter_model.safetensors with keys
 * `base_model.model.<module>.lora_A.weight` [r, in] and `.lora_B.weight` [out, r]), merging into the
 * base weights, and merged-model export in HF layout.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { ALL_LINEAR, moduleName, projectionShape, targetProjections } from '@retort/contracts';
import { copyTokenizerFiles, readJson, writeCheckpointAsync, WriteCheckpointOptions } from './checkpoint';
import { loraScale } from './lora';
import { modelTensors } from './model';
import { linearShape, linearWeightHost } from './linear-weights';
import { HostTensor, readSafetensors, writeSafetensors } from './safetensors';
import { Linear, LoraAdapter, LoraConfig, LoraModule, Model } from './types';

const PREFIX = 'base_model.model.';

export function adapterConfigJson(c: LoraConfig, baseModel: string): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModel,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: c.targetModules,
    bias: 'none',
    use_rslora: c.useRslora,
    use_dora: false,
    fan_in_fan_out: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
    revision: null,
  };
}

/** Host copies of device tensors, read asynchronously and all at once (a single wait, not one per tensor). */
export async function hostTensors(entries: [string, tf.Tensor][]): Promise<Map<string, HostTensor>> {
  const data = await Promise.all(entries.map(([, t]) => t.data() as Promise<Float32Array>));
  return new Map(entries.map(([name, t], i) => [name, { shape: t.shape, data: data[i] }]));
}

/** adapter_model.safetensors content in PEFT layout. */
export async function adapterTensors(adapter: LoraAdapter): Promise<Map<string, HostTensor>> {
  const entries: [string, tf.Tensor][] = [];
  for (const [name, m] of adapter.modules) {
    entries.push([`${PREFIX}${name}.lora_A.weight`, tf.transpose(m.at)], [`${PREFIX}${name}.lora_B.weight`, tf.transpose(m.bt)]);
  }
  try {
    return await hostTensors(entries);
  } finally {
    tf.dispose(entries.map(([, t]) => t));
  }
}

export async function saveAdapter(dir: string, adapter: LoraAdapter, baseModel = ''): Promise<void> {
  const tensors = await adapterTensors(adapter);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(adapterConfigJson(adapter.config, baseModel), null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'adapter_model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
}

/** Reads a PEFT LoRA adapter for `model`; anything this engine cannot apply exactly is an error. */
export function loadAdapter(dir: string, model: Pick<Model, 'config'>): LoraAdapter {
  const cfgFile = path.join(dir, 'adapter_config.json');
  const raw = readJson(cfgFile);
  const fail = (msg: string): never => {
    throw new Error(`${cfgFile}: ${msg}`);
  };
  if (raw.peft_type !== 'LORA') fail(`peft_type ${JSON.stringify(raw.peft_type)} is not supported (LORA)`);
  if ((raw.bias ?? 'none') !== 'none') fail(`bias ${JSON.stringify(raw.bias)} is not supported (none)`);
  if (raw.use_dora === true) fail('use_dora is not supported');
  if (raw.fan_in_fan_out === true) fail('fan_in_fan_out is not supported');
  if (raw.modules_to_save != null) fail('modules_to_save is not supported');
  if (raw.layers_to_transform != null) fail('layers_to_transform is not supported');
  for (const f of ['rank_pattern', 'alpha_pattern']) {
    if (raw[f] && Object.keys(raw[f] as object).length) fail(`${f} is not supported`);
  }
  let targets = raw.target_modules as string[] | string;
  if (typeof targets === 'string') targets = targets === ALL_LINEAR ? [ALL_LINEAR] : fail(`target_modules regex ${JSON.stringify(targets)} is not supported`);
  const config: LoraConfig = {
    r: raw.r as number,
    alpha: (raw.lora_alpha as number) ?? 8,
    dropout: (raw.lora_dropout as number) ?? 0,
    targetModules: targets,
    useRslora: raw.use_rslora === true,
  };
  const file = path.join(dir, 'adapter_model.safetensors');
  if (!fs.existsSync(file)) throw new Error(`${file}: not found`);
  const tensors = readSafetensors(fs.readFileSync(file), file).tensors;
  const modules = new Map<string, LoraModule>();
  const used = new Set<string>();
  for (let i = 0; i < model.config.numLayers; i++) {
    for (const p of targetProjections(targets)) {
      const name = moduleName(i, p);
      const [inp, out] = projectionShape(model.config, p);
      const find = (which: 'lora_A' | 'lora_B') => {
        const key = [`${PREFIX}${name}.${which}.weight`, `${PREFIX}${name}.${which}.default.weight`].find((k) => tensors.has(k));
        if (!key) throw new Error(`${file}: missing ${PREFIX}${name}.${which}.weight`);
        used.add(key);
        return tensors.get(key)!;
      };
      const a = find('lora_A');
      const b = find('lora_B');
      if (a.shape.join() !== `${config.r},${inp}`) throw new Error(`${file}: ${name}.lora_A has shape [${a.shape}], expected [${config.r}, ${inp}]`);
      if (b.shape.join() !== `${out},${config.r}`) throw new Error(`${file}: ${name}.lora_B has shape [${b.shape}], expected [${out}, ${config.r}]`);
      modules.set(name, {
        at: tf.variable(tf.tidy(() => tf.transpose(tf.tensor2d(a.data, [config.r, inp])))),
        bt: tf.variable(tf.tidy(() => tf.transpose(tf.tensor2d(b.data, [out, config.r])))),
      });
    }
  }
  for (const k of tensors.keys()) if (!used.has(k)) throw new Error(`${file}: unexpected tensor ${k}`);
  return { config, scale: loraScale(config), modules };
}

/** Folds the adapter into the base weights (W += s B A), checking every merged weight is finite. */
export async function mergeAdapter(model: Model, adapter: LoraAdapter): Promise<Model> {
  const layers: Model['layers'] = [];
  for (const l of model.layers) {
    const proj = { ...l.proj };
    for (const [p, lin] of Object.entries(l.proj) as [keyof typeof proj, (typeof proj)[keyof typeof proj]][]) {
      const m = adapter.modules.get(lin.name);
      if (m) proj[p] = { ...(await mergedLinear(lin, m, adapter.scale, lin.name)), bias: lin.bias };
    }
    layers.push({ ...l, proj });
  }
  return { ...model, layers };
}

/**
 * W + s B A for one linear layer, or for one part of its rows (B's rows from `first`), float32 where
 * the layer was held (a part stays a part). An NF4 base is dequantized first (the merged model is
 * float32, as PEFT's merge of a QLoRA model).
 */
async function mergedLinear(lin: Linear, m: LoraModule, scale: number, name: string, first = 0): Promise<Linear> {
  if (lin.parts) {
    const parts: Linear[] = [];
    let row = first;
    for (const part of lin.parts) {
      parts.push(await mergedLinear(part, m, scale, name, row));
      row += linearShape(part)[0];
    }
    return { name: lin.name, parts };
  }
  const rows = linearShape(lin)[0];
  const host = lin.wt ? undefined : await linearWeightHost(lin);
  const wt = tf.tidy(() => {
    const base = lin.wt ?? tf.transpose(tf.tensor2d(host!.data, host!.shape));
    const bt = rows === m.bt.shape[1] ? m.bt : tf.slice(m.bt, [0, first], [-1, rows]);
    return tf.add(base, tf.mul(tf.matMul(m.at, bt), scale)) as tf.Tensor2D;
  });
  const allFinite = tf.tidy(() => tf.all(tf.isFinite(wt)));
  const finite = (await allFinite.data())[0];
  allFinite.dispose();
  if (!finite) {
    wt.dispose();
    throw new Error(`merge: ${name} has non-finite values after merging the adapter`);
  }
  if (!lin.host) return { name: lin.name, wt };
  // Frozen weights in host memory stay there: W [out, in] back from the merged [in, out].
  const w = tf.transpose(wt);
  wt.dispose();
  const data = (await w.data()) as Float32Array;
  w.dispose();
  return { name: lin.name, host: { dense: { shape: w.shape as [number, number], data } } };
}

/** Writes a merged model in HF layout (config.json, model.safetensors) and copies the tokenizer files. */
export async function saveMergedModel(model: Model, out: string, baseDir?: string, opts: WriteCheckpointOptions = {}): Promise<void> {
  await writeCheckpointAsync(out, model.config.raw, modelTensors(model), opts);
  if (baseDir) copyTokenizerFiles(baseDir, out);
}
