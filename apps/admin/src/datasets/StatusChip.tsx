import CheckCircleOutlined from '@mui/icons-material/CheckCircleOutlined';
import ErrorOutlined from '@mui/icons-material/ErrorOutlined';
import HourglassTop from '@mui/icons-material/HourglassTop';
import { Chip, Tooltip } from '@mui/material';
import type { DatasetVersionStatus } from '@retort/contracts';

const LOOK = {
  processing: { color: 'info', icon: <HourglassTop />, label: 'processing' },
  ready: { color: 'success', icon: <CheckCircleOutlined />, label: 'ready' },
  failed: { color: 'error', icon: <ErrorOutlined />, label: 'failed' },
} as const;

/** A version's status as a coloured chip; a failed version's error is its tooltip. */
export function StatusChip({ status, error }: { status: DatasetVersionStatus | null | undefined; error?: string | null }) {
  if (!status) return null;
  const look = LOOK[status] ?? { color: 'default', icon: undefined, label: status };
  const chip = (
    <Chip
      size="small"
      variant="outlined"
      color={look.color}
      icon={look.icon}
      label={look.label}
      data-testid="status-chip"
      data-status={status}
    />
  );
  return error ? <Tooltip title={error}>{chip}</Tooltip> : chip;
}
