import type { Dataset, DatasetVersion } from './types';

/** How often pages holding a "processing" version refresh themselves. */
export const POLL_MS = 2000;

const processing = (v: DatasetVersion | null | undefined) => v?.status === 'processing';

/** True when a dataset (list row or show record) has a version still being processed. */
export function datasetIsProcessing(dataset: Dataset | undefined): boolean {
  if (!dataset) return false;
  return processing(dataset.latestVersion) || (dataset.versions ?? []).some(processing);
}

/** react-query `refetchInterval` for a show page: every POLL_MS while something is processing. */
export function pollWhileProcessing(query: { state: { data?: unknown } }): number | false {
  return datasetIsProcessing(query.state.data as Dataset | undefined) ? POLL_MS : false;
}

/** The same for a list page, whose query data is `{ data: Dataset[], total }`. */
export function pollListWhileProcessing(query: { state: { data?: unknown } }): number | false {
  const rows = (query.state.data as { data?: Dataset[] } | undefined)?.data ?? [];
  return rows.some(datasetIsProcessing) ? POLL_MS : false;
}
