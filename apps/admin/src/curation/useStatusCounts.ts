import { useGetList } from 'react-admin';
import type { RecordStatus } from '../datasets/types';

const one = { page: 1, perPage: 1 };
// The records list sorts by idx, chars, status or tokenCount only (react-admin's default is id).
const sort = { field: 'idx', order: 'ASC' as const };

/**
 * Live record counts per curation status, from the list totals of `GET .../records` (one row
 * each); null until known.
 */
export function useStatusCounts(versionId: string, enabled: boolean): Record<RecordStatus | 'all', number | null> {
  const all = useGetList('records', { filter: { versionId }, pagination: one, sort }, { enabled });
  const pending = useGetList('records', { filter: { versionId, status: 'pending' }, pagination: one, sort }, { enabled });
  const accepted = useGetList('records', { filter: { versionId, status: 'accepted' }, pagination: one, sort }, { enabled });
  const rejected = useGetList('records', { filter: { versionId, status: 'rejected' }, pagination: one, sort }, { enabled });
  return { all: all.total ?? null, pending: pending.total ?? null, accepted: accepted.total ?? null, rejected: rejected.total ?? null };
}
