import type { FieldError } from '@retort/contracts';
import type { DatasetVersion } from '@retort/db';

/** One input set of a training run: its versions, where they were named in the request, and its tag. */
export interface TrainingSet {
  versions: { version: DatasetVersion; path: string }[];
  tag?: string;
  tagPath: string;
}

/**
 * What makes a training run fail on its worker, found from the versions' stats before it is queued:
 * a version with no assistant turn to learn from (a prompts-only set), or a tag no record carries.
 */
export function trainingSetProblems(set: TrainingSet): FieldError[] {
  const errors: FieldError[] = [];
  for (const { version, path } of set.versions) {
    if (version.purpose === 'prompts' || (version.stats && !version.stats.roles.assistant)) {
      errors.push({ path, message: `dataset version ${version.id} has prompts only (no assistant turns to learn from); let a teacher answer it first (a generate run)` });
    }
  }
  if (set.tag !== undefined) {
    const tagged = set.versions.reduce((n, { version }) => n + (tagCounts(version)[set.tag!] ?? 0), 0);
    if (tagged === 0) errors.push({ path: set.tagPath, message: `no record of ${set.versions.length === 1 ? 'this version' : 'these versions'} carries the tag "${set.tag}"` });
  }
  return errors;
}

/** The stats as the import computed them also count tags, though the stored type does not say so. */
function tagCounts(version: DatasetVersion): Record<string, number> {
  return ((version.stats as { tags?: Record<string, number> } | null)?.tags ?? {}) as Record<string, number>;
}
