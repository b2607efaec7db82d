import { Chip, Stack, Typography } from '@mui/material';
import { STAGES, type Adapter } from './types';

/** "production v2", "staging v3": which version each stage points at. */
export const StageChips = ({ stages }: { stages: Adapter['stages'] | undefined }) => {
  const set = STAGES.filter((s) => typeof stages?.[s] === 'number');
  if (set.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" component="span" data-testid="stages-none">
        not promoted
      </Typography>
    );
  }
  return (
    <Stack direction="row" spacing={0.5} component="span">
      {set.map((s) => (
        <Chip
          key={s}
          size="small"
          color={s === 'production' ? 'success' : 'info'}
          variant={s === 'production' ? 'filled' : 'outlined'}
          label={`${s} v${stages![s]}`}
          data-testid="stage-chip"
          data-stage={s}
          data-version={stages![s]}
        />
      ))}
    </Stack>
  );
};
