import { Box, LinearProgress, Typography } from '@mui/material';
import { formatDuration } from '../lib/time';
import { progressFraction } from './metrics';
import type { Run } from './types';

/** Step n of N as a bar, with the latest loss and, while running, the time left. */
export function RunProgress({ run, wide = false }: { run: Run; wide?: boolean }) {
  const fraction = progressFraction(run);
  const p = run.progress ?? {};
  const loss = p.loss ?? p.finalLoss;
  const other = p as { answered?: number; total?: number; evaluated?: number; label?: string };
  const caption = [
    typeof p.step === 'number'
      ? `${p.step}/${p.totalSteps ?? '?'}`
      : typeof other.answered === 'number'
        ? `${other.answered}/${other.total ?? '?'} answered`
        : typeof other.evaluated === 'number' && run.kind === 'evaluate'
          ? `${other.evaluated} evaluated${other.label && run.status === 'running' ? ` (last: ${other.label})` : ''}`
          : run.status === 'queued'
            ? 'waiting for a worker'
            : '',
    typeof loss === 'number' ? `loss ${loss.toFixed(3)}` : '',
    run.status === 'running' && typeof p.etaMs === 'number' ? `${formatDuration(p.etaMs)} left` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <Box sx={{ minWidth: wide ? 320 : 160 }} data-testid="run-progress" data-step={p.step ?? ''}>
      <LinearProgress
        variant={fraction === null && run.status === 'running' ? 'indeterminate' : 'determinate'}
        value={Math.round((fraction ?? 0) * 100)}
        color={run.status === 'failed' ? 'error' : run.status === 'cancelled' ? 'warning' : run.status === 'succeeded' ? 'success' : 'primary'}
        aria-label="Progress"
      />
      <Typography variant="caption" color="text.secondary">
        {caption}
      </Typography>
    </Box>
  );
}
