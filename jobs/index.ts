export { processDatasetImport, failDatasetImport, type DatasetImportDeps } from './dataset-import/process';
export { processDatasetAnalyze, failDatasetAnalyze, type DatasetAnalyzeDeps } from './dataset-analyze/process';
export { processTrain, type TrainJobDeps } from './train/process';
export { beginRun, watchCancel, type BegunRun, type BeginOptions } from './run-step';
export { ForeignJobError, PermanentRunError } from './run-errors';
export { processGenerate, type GenerateJobDeps } from './generate/process';
export { processEvaluate, type EvaluateJobDeps, type SubjectReport } from './evaluate/process';
export { scoreAnswer, rougeL, meanScores, type AnswerScores } from './evaluate/metrics';
export { NO_RUN_OBSERVER, type ObservedStep, type RunObserver } from './run-observer';
