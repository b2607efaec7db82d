/** Training checkpoints: adapter, optimizer state, step and data position, stored through a CheckpointStore. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { adapterConfigJson } from './peft';
import { HostTensor, readSafetensors, writeSafetensors } from './safetensors';
import type { TrainConfig } from './train';

export interface TrainCheckpoint {
  /** Optimizer steps completed. */
  step: number;
  /** Micro-batches consumed (the data position). */
  dataPosition: number;
  config: TrainConfig;
  /** PEFT-layout adapter tensors (adapter_model.safetensors). */
  adapter: Map<string, HostTensor>;
  /** AdamW moments keyed `<peft key>.exp_avg` / `.exp_avg_sq`, and the update count. */
  optimizer: Map<string, HostTensor>;
  optimizerStep: number;
  metrics: Record<string, number>;
}

/** Where checkpoints go: a directory here, object storage in the worker. */
export interface CheckpointStore {
  save(ck: TrainCheckpoint): Promise<void>;
  /** The latest checkpoint, if any. */
  latest(): Promise<TrainCheckpoint | undefined>;
}

/** The file a complete checkpoint has; it is written last, so a checkpoint without it is ignored. */
export const TRAINER_STATE_FILE = 'trainer_state.json';

/**
 * One checkpoint as files, in the order to write them: a loadable PEFT adapter (weights and
 * config), the optimizer state, and the trainer state last. Every checkpoint store uses this layout.
 */
export function checkpointFiles(ck: TrainCheckpoint, baseModel = ''): [name: string, content: Uint8Array | string][] {
  const state = { step: ck.step, dataPosition: ck.dataPosition, optimizerStep: ck.optimizerStep, config: ck.config, metrics: ck.metrics };
  return [
    ['adapter_model.safetensors', writeSafetensors(ck.adapter, { format: 'pt' })],
    ['adapter_config.json', JSON.stringify(adapterConfigJson(ck.config.lora, baseModel), null, 2) + '\n'],
    ['optimizer.safetensors', writeSafetensors(ck.optimizer)],
    [TRAINER_STATE_FILE, JSON.stringify(state, null, 2) + '\n'],
  ];
}

/** A checkpoint read back from its files (see checkpointFiles). */
export async function readCheckpointFiles(read: (name: string) => Promise<Uint8Array>): Promise<TrainCheckpoint> {
  const state = JSON.parse(Buffer.from(await read(TRAINER_STATE_FILE)).toString('utf8'));
  return {
    step: state.step,
    dataPosition: state.dataPosition,
    optimizerStep: state.optimizerStep,
    config: state.config,
    metrics: state.metrics,
    adapter: readSafetensors(await read('adapter_model.safetensors')).tensors,
    optimizer: readSafetensors(await read('optimizer.safetensors')).tensors,
  };
}

/** Checkpoints as `<dir>/checkpoint-<step>/` folders, each a loadable PEFT adapter plus trainer files. */
export function dirCheckpointStore(dir: string, opts: { keep?: number; baseModel?: string } = {}): CheckpointStore {
  const list = () =>
    fs.existsSync(dir)
      ? fs
          .readdirSync(dir)
          .filter((n) => /^checkpoint-\d+$/.test(n) && fs.existsSync(path.join(dir, n, TRAINER_STATE_FILE)))
          .sort((a, b) => Number(a.slice(11)) - Number(b.slice(11)))
      : [];
  return {
    async save(ck) {
      const final = path.join(dir, `checkpoint-${ck.step}`);
      const tmp = `${final}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      for (const [name, content] of checkpointFiles(ck, opts.baseModel)) fs.writeFileSync(path.join(tmp, name), content);
      fs.rmSync(final, { recursive: true, force: true });
      fs.renameSync(tmp, final); // a checkpoint folder is complete or absent
      const all = list();
      for (const old of all.slice(0, Math.max(0, all.length - (opts.keep ?? 3)))) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
    },
    async latest() {
      const names = list();
      if (!names.length) return undefined;
      const d = path.join(dir, names[names.length - 1]);
      return readCheckpointFiles(async (name) => fs.readFileSync(path.join(d, name)));
    },
  };
}
