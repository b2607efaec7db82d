export { readLines, LineError, type JsonlLine } from './lines';
export { parseRecord, CHAT_ROLES, type ChatRecord, type ChatMessage, type ChatRole, type RecordIssue, type ParsedRecord } from './record';
export { RECORD_FORMATS, FORMAT_KEYS, detectFormat, normalizeRecord, type RecordFormat, type FormatOption, type Normalized, type NormalizeResult } from './formats';
export { approximateTokens, recordTokens, checkPurpose, checkTokens, type DatasetPurpose, type TokenCounter } from './rules';
export { validateJsonl, canonicalLine, DEFAULT_LIMITS, type ValidationLimits, type ValidationResult } from './validate';
export { storableText, unstorableTextIssues } from './storable-text';
export { computeStats, type DatasetStats } from './stats';
export { contentHash, contentDigest, normalizeText } from './content-hash';
export { exactDuplicateClusters, type CurationRecord } from './dedup';
export { nearDuplicateClusters, lshParameters, minhashSignature, permutationSeeds, estimatedJaccard, shingleSource, type NearDuplicateOptions } from './minhash';
export { scrubPii, scrubRecord, luhnValid, type PiiCounts } from './pii';
export { splitRecords, type SplitOptions, type Split, type SplitRecord } from './split';
export { tokenLengthHistogram, Log2Histogram, type Histogram } from './histogram';
export type { RecordSource } from './iter';
export {
  SUPPORT_DEMO_FILES,
  SUPPORT_NEAR_DUPLICATE_EVERY,
  SUPPORT_PII_EVERY,
  SUPPORT_PII_OFFSET,
  supportDemoFiles,
  supportJsonl,
  supportRecords,
  writeSupportFile,
  type SupportKind,
  type SupportOptions,
  type SupportRecord,
} from './demo-support';
export { SUPPORT_INTENTS, SUPPORT_SLOT_ORDER, SUPPORT_SYSTEM_PROMPT, type SupportSlot } from './demo-support-data';
export { scoreSupportAnswer, type SupportScore } from './support-score';
export { createDatasetVersion, InvalidDatasetError, type CreateVersionDeps, type CreateVersionOptions, type StoredVersionArtifact } from './create-dataset-version';
