import { Alert, Box, Chip, Stack, Typography } from '@mui/material';
import { useRecordContext } from 'react-admin';
import { formatBytes } from '../lib/format';
import type { DatasetVersion } from './types';

/** The expanded row of a version: its stats, full digest, and the error of a failed version. */
export const VersionDetails = () => {
  const v = useRecordContext<DatasetVersion>();
  if (!v) return null;
  const s = v.stats;
  return (
    <Box sx={{ px: 2, py: 1.5 }} data-testid="version-details">
      {v.error && (
        <Alert severity="error" sx={{ mb: 1.5 }}>
          {v.error}
        </Alert>
      )}
      {s && (
        <Stack direction="row" spacing={3} sx={{ mb: 1, flexWrap: 'wrap' }}>
          <Stat label="Records" value={s.records.toLocaleString()} />
          <Stat label="Turns" value={s.turns.toLocaleString()} />
          <Stat label="Messages" value={s.messages.toLocaleString()} />
          <Stat label="Chars (min–max, mean)" value={`${s.chars.min.toLocaleString()}–${s.chars.max.toLocaleString()}, ${Math.round(s.chars.mean).toLocaleString()}`} />
          <Box>
            <Typography variant="caption" color="text.secondary" component="div">
              Roles
            </Typography>
            <Stack direction="row" spacing={0.5}>
              {Object.entries(s.roles).map(([role, n]) => (
                <Chip key={role} size="small" label={`${role} ${n.toLocaleString()}`} />
              ))}
            </Stack>
          </Box>
        </Stack>
      )}
      <Typography variant="caption" color="text.secondary" component="div" sx={{ fontFamily: 'monospace' }}>
        sha256 {v.sha256} · {formatBytes(v.size)} ({v.size.toLocaleString()} bytes) · id {v.id}
      </Typography>
    </Box>
  );
};

const Stat = ({ label, value }: { label: string; value: string }) => (
  <Box>
    <Typography variant="caption" color="text.secondary" component="div">
      {label}
    </Typography>
    <Typography variant="body2">{value}</Typography>
  </Box>
);
