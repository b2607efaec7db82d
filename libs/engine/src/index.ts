export { initBackend, activeBackend, switchBackend, deviceMemoryBytes, BACKENDS } from './backend';
export { probeWebGpu } from './webgpu';
export type { WebGpuAdapter } from './webgpu';
export type { BackendName, BackendInfo } from './backend';
export { chosenOpenBlasCoreType, loadNativeBlas, openBlasCoreType } from './native-blas';
export { readSafetensors, writeSafetensors, f16ToF32, f32ToF16, f32ToBf16 } from './safetensors';
export type { HostTensor, SafetensorsFile, SafeDtype, TensorEntry } from './safetensors';
export { SafetensorsFileReader, writeSafetensorsFile } from './safetensors-file';
export type { TensorToWrite } from './safetensors-file';
export { parseConfig, configJson, safeDtypeOf, TORCH_DTYPES } from './config';
export type { ModelConfig } from './config';
export { readCheckpoint, writeCheckpoint, readModelConfig, openCheckpoint, CheckpointReader, DEFAULT_MAX_SHARD_BYTES } from './checkpoint';
export type { TensorSource, WriteCheckpointOptions } from './checkpoint';
export { configText } from './config-json';
export { tokenizerMaxId } from './load-checks';
export {
  loadModel,
  buildModel,
  modelToHost,
  modelTensors,
  disposeModel,
  forwardHidden,
  forwardLogits,
  lastLogits,
  lmHead,
  emptyCache,
  disposeCache,
  quantizeModel,
  linearStorage,
} from './model';
export { linearWeightHost, linearShape } from './linear-weights';
export type { LoadOptions, LinearStorage } from './model';
export type { Model, Linear, Layer, LoraAdapter, LoraConfig, LoraModule, KVCache, Quant } from './types';
export {
  NF4_VALUES,
  NF4_BLOCKSIZE,
  NF4_NESTED_BLOCKSIZE,
  dynamicMap,
  quantizeNf4,
  dequantizeNf4,
  dequantizeNf4Kernels,
  dequantizeNf4Host,
  nf4Absmax,
  nf4Bytes,
  uploadNf4,
  downloadNf4,
  packNibbles,
  unpackNibbles,
  unpackBytes,
} from './nf4';
export type { Nf4Host, Nf4Weight } from './nf4';
export { initConfig, initModel } from './init';
export type { InitOptions } from './init';
export { createLora, loraScale, loraVariables, disposeLora, DEFAULT_LORA } from './lora';
export { saveAdapter, loadAdapter, mergeAdapter, saveMergedModel, adapterTensors, adapterConfigJson } from './peft';
export { writeMergedCheckpoint, type MergeExportOptions } from './merge-export';
export { learningRate } from './schedule';
export type { ScheduleConfig } from './schedule';
export { initAdamW, adamWStep, clipGlobalNorm, clipScale, globalNorm } from './optimizer';
export type { AdamWConfig, AdamWState } from './optimizer';
export { readJsonl, tokenizeRecord, collate, epochBatches, BatchStream } from './data';
export type { Example, Batch, Record_ as TrainRecord, TeacherDist, TeacherTokenLogprob } from './data';
export { train, evaluate, batchLoss, trainConfig, DEFAULT_TRAIN } from './train';
export { trainConfigOf } from './hyperparameters';
export type { BatchLossOptions } from './train';
export type { TrainConfig, TrainOptions, TrainProgress, TrainResult, EvalMetrics } from './train';
export { checkpointFiles, dirCheckpointStore, readCheckpointFiles, TRAINER_STATE_FILE } from './trainer-state';
export type { CheckpointStore, TrainCheckpoint } from './trainer-state';
export { Rng } from './rng';
export { generate, sampleToken } from './generate';
export type { GenerateOptions, GenerateResult, TokenLogprob } from './generate';
export { runTraining } from './run';
export { countDispatches, groupKernels, profileKernels } from './kernel-profile';
export type { KernelProfile, KernelRow } from './kernel-profile';
export type { RunTrainingOptions, RunTrainingResult } from './run';
// The model spec and the planner live in @retort/contracts (no tfjs) so that the api can use them; re-exported for the engine's users.
export { PROJECTIONS, moduleName, projectionShape, targetProjections } from '@retort/contracts';
export type { Family, Projection } from '@retort/contracts';
export { planMemory, fitPools, countParams, DISTILL_CONFIGS, NAMED_SIZES, formatBytes, nf4WeightBytes, WASM_MAX_BYTES, bindingRefusal } from '@retort/contracts';
export type { MemoryPlan, ModelConfigLike, PlanInput, PlanMethod, PlanTask, PlanBackend, PoolFit, WorkerPool, NamedSize } from '@retort/contracts';
