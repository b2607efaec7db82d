import { Alert, Box, Stack, Typography } from '@mui/material';
import { useMemo } from 'react';
import { useWatch } from 'react-hook-form';
import { required, TextInput } from 'react-admin';
import { formatInZone, previewCron, timeZones } from './cron';

const validateCron = [required()];

/** The cron and time zone fields with what they mean in plain language and the next five fire times. */
export const CronInput = () => {
  const cron = useWatch({ name: 'cron' }) as string | undefined;
  const timezone = (useWatch({ name: 'timezone' }) as string | undefined) || 'UTC';
  const preview = useMemo(() => previewCron(cron, timezone), [cron, timezone]);
  const zones = useMemo(() => timeZones(), []);
  return (
    <Box sx={{ width: '100%' }}>
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2}>
        <TextInput
          source="cron"
          label="Cron"
          validate={validateCron}
          helperText="minute hour day-of-month month day-of-week (a sixth leading field for seconds)"
          sx={{ minWidth: 260, '& input': { fontFamily: 'monospace' } }}
          slotProps={{ htmlInput: { 'data-testid': 'schedule-cron' } }}
        />
        <TextInput source="timezone" label="Time zone" validate={required()} helperText="IANA name, e.g. Europe/Oslo" slotProps={{ htmlInput: { list: 'retort-time-zones', 'data-testid': 'schedule-timezone' } }} />
        <datalist id="retort-time-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </Stack>
      {preview.error ? (
        <Alert severity="error" sx={{ maxWidth: 720 }} data-testid="cron-error">
          {preview.error}
        </Alert>
      ) : (
        <Alert severity="info" icon={false} sx={{ maxWidth: 720 }} data-testid="cron-preview">
          <Typography variant="body2" sx={{ fontWeight: 600 }} data-testid="cron-description">
            {preview.description} ({timezone})
          </Typography>
          <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 0.5 }}>
            Next fire times
          </Typography>
          <Box component="ol" sx={{ m: 0, pl: 2.5 }} data-testid="cron-next">
            {preview.next.map((d) => (
              <li key={d.toISOString()} data-testid="cron-next-time" data-iso={d.toISOString()}>
                <Typography variant="body2">{formatInZone(d, timezone)}</Typography>
              </li>
            ))}
          </Box>
        </Alert>
      )}
    </Box>
  );
};
