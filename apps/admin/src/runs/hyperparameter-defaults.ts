import { HYPERPARAMETER_DEFAULTS, type Hyperparameters } from '@retort/contracts';

/** The hyperparameters a pipeline or schedule form shows; the others take the API's defaults. */
export const PIPELINE_FORM_HYPERPARAMETERS: (keyof Hyperparameters)[] = ['method', 'rank', 'alpha', 'steps', 'batchSize', 'lr', 'maxSeqLen'];

/** A form's starting values for these hyperparameters: the API's defaults (HyperparametersSchema). */
export function formHyperparameters(keys: (keyof Hyperparameters)[]): Record<string, number | string | boolean> {
  return Object.fromEntries(keys.map((k) => [k, HYPERPARAMETER_DEFAULTS[k] as number | string | boolean]));
}
