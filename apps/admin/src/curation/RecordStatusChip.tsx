import { Chip } from '@mui/material';
import type { RecordStatus } from '../datasets/types';

const COLOR = { pending: 'default', accepted: 'success', rejected: 'error' } as const;

export const RecordStatusChip = ({ status }: { status: RecordStatus }) => (
  <Chip size="small" variant="outlined" color={COLOR[status] ?? 'default'} label={status} data-testid="record-status" data-status={status} />
);
