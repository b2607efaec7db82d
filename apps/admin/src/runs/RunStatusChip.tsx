import Block from '@mui/icons-material/Block';
import CheckCircleOutlined from '@mui/icons-material/CheckCircleOutlined';
import ErrorOutlined from '@mui/icons-material/ErrorOutlined';
import PlayCircleOutlined from '@mui/icons-material/PlayCircleOutlined';
import Schedule from '@mui/icons-material/Schedule';
import { Chip, Tooltip } from '@mui/material';
import type { RunStatus } from './types';

const LOOK = {
  queued: { color: 'default', icon: <Schedule /> },
  running: { color: 'info', icon: <PlayCircleOutlined /> },
  succeeded: { color: 'success', icon: <CheckCircleOutlined /> },
  failed: { color: 'error', icon: <ErrorOutlined /> },
  cancelled: { color: 'warning', icon: <Block /> },
} as const;

/** A run's status as a coloured chip; a failed run's error is its tooltip. */
export function RunStatusChip({ status, error }: { status: RunStatus | undefined; error?: string | null }) {
  if (!status) return null;
  const look = LOOK[status] ?? { color: 'default', icon: undefined };
  const chip = <Chip size="small" variant="outlined" color={look.color} icon={look.icon} label={status} data-testid="run-status" data-status={status} />;
  return error ? <Tooltip title={error}>{chip}</Tooltip> : chip;
}
