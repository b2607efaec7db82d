/** Whole training runs from files: what `retort train` and the worker's train job call. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChatTokenizer } from '@retort/tokenizer';
import { readJsonl, Record_, tokenizeRecord } from './data';
import { disposeLora } from './lora';
import { disposeModel, LinearStorage, linearStorage, loadModel } from './model';
import { saveAdapter } from './peft';
import { Rng } from './rng';
import { EvalMetrics, train, trainConfig, TrainConfig, TrainProgress } from './train';
import { CheckpointStore, dirCheckpointStore } from './trainer-state';

export interface RunTrainingOptions {
  modelDir: string;
  /** A JSONL file or records. */
  data: string | Record_[];
  /** Held-out records; otherwise `evalFraction` of the data is held out. */
  evalData?: string | Record_[];
  evalFraction?: number;
  /** The final adapter goes here (PEFT layout); checkpoints under `<out>/checkpoints` unless a store is given. */
  out: string;
  config: TrainConfig;
  resume?: boolean;
  checkpointStore?: CheckpointStore;
  onProgress?: (p: TrainProgress) => void;
  /** Called with the checkpoint's step once a resumed run has read it, before its first step. */
  onResume?: (step: number) => Promise<void> | void;
  shouldStop?: () => boolean;
  /** Measure the peak device memory (tf.memory().numBytes) of the first step: `peakBytes`. */
  profileMemory?: boolean;
}

export interface RunTrainingResult {
  step: number;
  stopped: boolean;
  resumedFrom?: number;
  trainExamples: number;
  evalExamples: number;
  finalLoss?: number;
  eval?: EvalMetrics;
  adapterDir?: string;
  /** The frozen linear weights as held: float32 or NF4, and bytes per parameter. */
  linearStorage: LinearStorage;
  peakBytes?: number;
  /** [batch, padded length] of the profiled step. */
  profiledShape?: [number, number];
  /** Training records that came with teacher logprobs, and how many of them lined up for token-level KD. */
  kd?: { records: number; aligned: number };
}

export async function runTraining(opts: RunTrainingOptions): Promise<RunTrainingResult> {
  const c = opts.config;
  const model = loadModel(opts.modelDir, { quant: c.quant });
  const tok = ChatTokenizer.fromDir(opts.modelDir);
  const padId = tok.padTokenId ?? 0;
  const records = typeof opts.data === 'string' ? readJsonl(opts.data) : opts.data;
  let trainRecs = records;
  let evalRecs: Record_[] = [];
  if (opts.evalData) evalRecs = typeof opts.evalData === 'string' ? readJsonl(opts.evalData) : opts.evalData;
  else if (opts.evalFraction && opts.evalFraction > 0) {
    const order = new Rng(c.seed + 17).shuffle(records.map((_, i) => i));
    const n = Math.max(1, Math.round(records.length * opts.evalFraction));
    const held = new Set(order.slice(0, n));
    evalRecs = records.filter((_, i) => held.has(i));
    trainRecs = records.filter((_, i) => !held.has(i));
  }
  const enc = (r: Record_) => tokenizeRecord(r, tok, { trainOnInputs: c.trainOnInputs, maxLen: c.maxSeqLen, turns: c.assistantTurns });
  const trainEx = trainRecs.flatMap(enc).filter((e) => e.weights.some((w) => w > 0));
  const evalEx = evalRecs.flatMap(enc).filter((e) => e.weights.some((w) => w > 0));
  const withTeacher = trainEx.filter((e) => e.kd !== undefined);
  const store = opts.checkpointStore ?? dirCheckpointStore(path.join(opts.out, 'checkpoints'), { baseModel: opts.modelDir });
  const resumeFrom = opts.resume ? await store.latest() : undefined;
  // Defaults filled in: a checkpoint made before a setting existed was made with its default.
  if (resumeFrom && JSON.stringify(trainConfig(resumeFrom.config)) !== JSON.stringify(c)) {
    throw new Error(`--resume: the checkpoint at step ${resumeFrom.step} was made with a different configuration`);
  }
  if (resumeFrom) await opts.onResume?.(resumeFrom.step);
  const result = await train({
    model,
    train: trainEx,
    eval: evalEx,
    config: c,
    padId,
    resumeFrom,
    checkpointStore: store,
    onProgress: opts.onProgress,
    shouldStop: opts.shouldStop,
    profileMemory: opts.profileMemory,
  });
  let adapterDir: string | undefined;
  if (!result.stopped) {
    fs.mkdirSync(opts.out, { recursive: true });
    // An ordinary PEFT adapter whose base is the original checkpoint, also after QLoRA.
    await saveAdapter(opts.out, result.adapter, path.resolve(opts.modelDir));
    adapterDir = opts.out;
  }
  const storage = linearStorage(model);
  disposeLora(result.adapter);
  disposeModel(model);
  return {
    step: result.step,
    stopped: result.stopped,
    resumedFrom: resumeFrom?.step,
    trainExamples: trainEx.length,
    evalExamples: evalEx.length,
    finalLoss: result.losses[result.losses.length - 1],
    eval: result.eval,
    adapterDir,
    linearStorage: storage,
    peakBytes: result.peakBytes,
    profiledShape: result.profiledShape,
    ...(withTeacher.length ? { kd: { records: withTeacher.length, aligned: withTeacher.filter((e) => e.kd === 'aligned').length } } : {}),
  };
}
