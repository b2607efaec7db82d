import { expandAllLinear, type Hyperparameters } from '@retort/contracts';
import { trainConfig, type TrainConfig } from './train';

/** The engine's training config for a run's hyperparameters: the one mapping between the two. */
export function trainConfigOf(hp: Hyperparameters): TrainConfig {
  return trainConfig({
    lora: { r: hp.rank, alpha: hp.alpha, dropout: hp.dropout, useRslora: hp.rslora, targetModules: expandAllLinear([hp.targetModules].flat()) },
    quant: hp.method === 'qlora' ? 'nf4' : 'none',
    steps: hp.steps,
    batchSize: hp.batchSize,
    gradAccum: hp.gradAccum,
    lr: hp.lr,
    warmupSteps: hp.warmupSteps,
    schedule: hp.schedule,
    minLrRatio: hp.minLrRatio,
    weightDecay: hp.weightDecay,
    maxGradNorm: hp.maxGradNorm,
    maxSeqLen: hp.maxSeqLen,
    trainOnInputs: hp.trainOnInputs,
    assistantTurns: hp.assistantTurns,
    seed: hp.seed,
    evalEvery: hp.evalEvery,
    saveEvery: hp.saveEvery,
    gradientCheckpointing: hp.gradientCheckpointing,
    kdAlpha: hp.kdAlpha,
    kdTemperature: hp.kdTemperature,
  });
}
