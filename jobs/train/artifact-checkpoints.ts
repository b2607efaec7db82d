import { readSafetensors, writeSafetensors, type CheckpointStore, type TrainCheckpoint } from '@retort/engine';
import type { RunRepository } from '@retort/db';
import type { ArtifactStore } from '@retort/storage';

/**
 * Training checkpoints in the artifact store, so any worker on any host can resume a run:
 * `runs/<id>/checkpoints/<step>/{adapter_model,optimizer}.safetensors` + `trainer_state.json`,
 * the state written last so that a checkpoint without it is incomplete and ignored. Each
 * checkpoint is also listed in the checkpoint table.
 */
export function artifactCheckpointStore(store: ArtifactStore, runs: RunRepository, runId: string): CheckpointStore {
  const prefix = `runs/${runId}/checkpoints/`;
  const stepPrefix = (step: number) => `${prefix}${String(step).padStart(8, '0')}/`;
  return {
    async save(ck: TrainCheckpoint) {
      const at = stepPrefix(ck.step);
      await store.put(at + 'adapter_model.safetensors', Buffer.from(writeSafetensors(ck.adapter, { format: 'pt' })));
      await store.put(at + 'optimizer.safetensors', Buffer.from(writeSafetensors(ck.optimizer)));
      const state = { step: ck.step, dataPosition: ck.dataPosition, optimizerStep: ck.optimizerStep, config: ck.config, metrics: ck.metrics };
      await store.put(at + 'trainer_state.json', JSON.stringify(state));
      await runs.saveCheckpoint(runId, ck.step, at, ck.metrics);
    },
    async latest() {
      const states = (await store.list(prefix)).filter((k) => k.endsWith('/trainer_state.json')).sort();
      const last = states[states.length - 1];
      if (!last) return undefined;
      const at = last.slice(0, -'trainer_state.json'.length);
      const state = JSON.parse((await store.getBuffer(last)).toString('utf8'));
      return {
        step: state.step,
        dataPosition: state.dataPosition,
        optimizerStep: state.optimizerStep,
        config: state.config,
        metrics: state.metrics,
        adapter: readSafetensors(await store.getBuffer(at + 'adapter_model.safetensors')).tensors,
        optimizer: readSafetensors(await store.getBuffer(at + 'optimizer.safetensors')).tensors,
      };
    },
  };
}
