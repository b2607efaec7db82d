import { checkpointFiles, readCheckpointFiles, TRAINER_STATE_FILE, type CheckpointStore, type TrainCheckpoint } from '@retort/engine';
import type { RunRepository } from '@retort/db';
import type { ArtifactStore } from '@retort/storage';

/**
 * Training checkpoints in the artifact store, so any worker on any host can resume a run:
 * `runs/<id>/checkpoints/<step>/` holding the engine's checkpoint files (checkpointFiles), the
 * trainer state written last so that a checkpoint without it is incomplete and ignored. Each
 * checkpoint is also listed in the checkpoint table.
 */
export function artifactCheckpointStore(store: ArtifactStore, runs: RunRepository, runId: string, onSaved: () => void = () => undefined): CheckpointStore {
  const prefix = `runs/${runId}/checkpoints/`;
  const stepPrefix = (step: number) => `${prefix}${String(step).padStart(8, '0')}/`;
  return {
    async save(ck: TrainCheckpoint) {
      const at = stepPrefix(ck.step);
      for (const [name, content] of checkpointFiles(ck)) await store.put(at + name, typeof content === 'string' ? content : Buffer.from(content));
      await runs.saveCheckpoint(runId, ck.step, at, ck.metrics);
      onSaved();
    },
    async latest() {
      const states = (await store.list(prefix)).filter((k) => k.endsWith('/' + TRAINER_STATE_FILE)).sort();
      const last = states[states.length - 1];
      if (!last) return undefined;
      const at = last.slice(0, -TRAINER_STATE_FILE.length);
      return readCheckpointFiles((name) => store.getBuffer(at + name));
    },
  };
}
