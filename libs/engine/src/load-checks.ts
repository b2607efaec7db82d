/** Checks made when a model directory is opened, before its weights are read. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bindingRefusal, formatBytes, planMemory, projectionShape, PROJECTIONS, WASM_MAX_BYTES } from '@retort/contracts';
import { activeBackend } from './backend';
import { ModelConfig } from './config';
import { readJsonFile } from './config-json';
import { Quant } from './types';
import { rowsPerPart } from './linear-weights';

/** The largest token id a tokenizer.json can produce (its vocabulary and its added tokens), and that token. */
export function tokenizerMaxId(tokenizerJson: Record<string, unknown>): { id: number; token: string } | undefined {
  let best: { id: number; token: string } | undefined;
  const see = (id: unknown, token: string) => {
    if (typeof id === 'number' && (!best || id > best.id)) best = { id, token };
  };
  const model = tokenizerJson.model as { vocab?: unknown } | undefined;
  const vocab = model?.vocab;
  if (Array.isArray(vocab)) vocab.forEach((entry, i) => see(i, Array.isArray(entry) ? String(entry[0]) : String(entry)));
  else if (vocab && typeof vocab === 'object') for (const [token, id] of Object.entries(vocab)) see(id, token);
  for (const t of (tokenizerJson.added_tokens as { id?: unknown; content?: string }[] | undefined) ?? []) see(t.id, t.content ?? '');
  return best;
}

/** Every id the model directory's tokenizer can produce must be a row of the embedding. */
export function checkTokenizerFits(dir: string, config: ModelConfig): void {
  const file = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(file)) return;
  const max = tokenizerMaxId(readJsonFile(file).value);
  if (max && max.id >= config.vocabSize) {
    throw new Error(`${file}: token ${JSON.stringify(max.token)} has id ${max.id}, but config.json's vocab_size is ${config.vocabSize} (ids must be below it: the embedding has ${config.vocabSize} rows)`);
  }
}

/**
 * The weights alone must fit the wasm backend's 4 GiB (or, held in host memory with the native
 * addon, this machine's memory), and on the device every projection must be held in parts of at
 * most `maxBindingBytes` (webgpu: one storage binding each); the error says how much they take.
 */
export function checkDeviceFits(dir: string, config: ModelConfig, quant: Quant, onHost: boolean, maxBindingBytes?: number): void {
  const backend = activeBackend();
  if (!onHost) {
    for (const p of PROJECTIONS) {
      const [inp, out] = projectionShape(config, p);
      rowsPerPart(`${dir}: ${p}`, [out, inp], maxBindingBytes, quant === 'nf4');
    }
  }
  if (backend?.adapter) {
    const why = bindingRefusal({ config: config.raw as never, method: quant === 'nf4' ? 'qlora' : 'lora', seq: 1, batch: 1, task: 'generate', backend: 'webgpu' }, backend.adapter.limits.maxStorageBufferBindingSize);
    if (why) throw new Error(`${dir}: ${why}`);
  }
  if (backend?.name !== 'wasm') return;
  const plan = planMemory({ config: config.raw as never, method: quant === 'nf4' ? 'qlora' : 'lora', seq: 1, batch: 1, task: 'generate', backend: 'wasm', weightsOnHost: onHost });
  const as = quant === 'nf4' ? 'NF4 (QLoRA)' : 'float32';
  if (onHost && plan.bytes.weights > os.totalmem()) {
    throw new Error(`${dir}: its weights take ${formatBytes(plan.bytes.weights)} as ${as} in host memory, more than this machine's ${formatBytes(os.totalmem())}` + (quant === 'nf4' ? '' : '; load it with --quant nf4 (QLoRA)'));
  }
  if (plan.bytes.device > WASM_MAX_BYTES) {
    throw new Error(
      `${dir}: its weights take ${formatBytes(onHost ? plan.bytes.device : plan.bytes.weights)} as ${as} on the device, more than the ${formatBytes(WASM_MAX_BYTES)} the wasm backend can address` +
        (quant === 'nf4' || onHost ? '; use a GPU backend (RETORT_BACKEND)' : '; load it with --quant nf4 (QLoRA) or use a GPU backend (RETORT_BACKEND)'),
    );
  }
}
