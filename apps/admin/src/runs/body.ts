import { prune } from '../schedules/body';
import { formHyperparameters } from './hyperparameter-defaults';

/** What the form holds; `runBody` turns it into `POST /runs`. */
export interface RunFormValues {
  baseModel?: string;
  datasetId?: string;
  datasetVersion?: string;
  adapter?: string;
  tag?: string;
  evalTag?: string;
  hyperparameters?: Record<string, number | string | boolean | null | undefined>;
}

export const RUN_DEFAULTS: RunFormValues = {
  hyperparameters: formHyperparameters(['method', 'rank', 'alpha', 'steps', 'batchSize', 'lr', 'maxSeqLen', 'warmupSteps', 'saveEvery', 'evalEvery', 'evalFraction']),
};

/**
 * The `POST /runs` body of a training run: one dataset version; an eval tag evaluates on the same
 * version's records with that tag (e.g. split:eval). Empty hyperparameters take the API's defaults.
 */
export function runBody(values: RunFormValues): Record<string, unknown> {
  const hyperparameters: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values.hyperparameters ?? {})) if (v !== null && v !== undefined && v !== '') hyperparameters[k] = v;
  return {
    kind: 'train',
    baseModel: values.baseModel,
    datasetVersions: values.datasetVersion ? [values.datasetVersion] : [],
    adapter: values.adapter,
    ...(values.tag ? { tag: values.tag } : {}),
    ...(values.evalTag && values.datasetVersion ? { evalTag: values.evalTag, evalDatasetVersion: values.datasetVersion } : {}),
    hyperparameters,
  };
}

export const EVALUATE_DEFAULTS = { maxTokens: 64, adapters: [] };

/** The `POST /runs` body of an evaluation: form-only fields dropped, adapters as "name@version". */
export function evaluateBody(values: Record<string, any>): Record<string, unknown> {
  const { dataset: _d, adapters = [], ...rest } = values;
  const refs = (adapters as { ref?: string }[]).map((a) => a.ref?.trim()).filter((r): r is string => !!r);
  return prune({ ...rest, kind: 'evaluate', adapters: refs }) as Record<string, unknown>;
}
