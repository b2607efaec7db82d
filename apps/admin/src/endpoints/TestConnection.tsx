import NetworkCheck from '@mui/icons-material/NetworkCheck';
import { Alert, Box, Chip, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import { Button, useCanAccess, useDataProvider, useRecordContext } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import type { ConnectionTest, Endpoint } from './types';

/**
 * "Test connection" (operators and admins): the API lists the endpoint's models with the stored
 * key; the result shows whether it answered, how fast, and whether the configured model is listed.
 */
export const TestConnection = () => {
  const endpoint = useRecordContext<Endpoint>();
  const { canAccess } = useCanAccess({ resource: 'endpoints', action: 'test', record: endpoint });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ConnectionTest | null>(null);
  if (!endpoint || !canAccess) return null;
  const test = async () => {
    setBusy(true);
    setResult(null);
    try {
      setResult((await dataProvider.testEndpoint(endpoint.id)).data);
    } catch (e) {
      setResult({ ok: false, latencyMs: 0, error: e instanceof Error ? e.message : String(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box sx={{ px: 2, pb: 2 }}>
      <Button label={busy ? 'Testing…' : 'Test connection'} onClick={test} disabled={busy} variant="outlined" data-testid="test-endpoint">
        <NetworkCheck />
      </Button>
      {result && (
        <Alert severity={!result.ok ? 'error' : result.modelListed === false ? 'warning' : 'success'} sx={{ mt: 1, maxWidth: 720 }} data-testid="test-result" data-ok={String(result.ok)}>
          {result.ok ? (
            <Stack spacing={0.5}>
              <Typography variant="body2">
                Answered in {result.latencyMs} ms.{' '}
                {result.modelListed === true && `It serves ${endpoint.model}.`}
                {result.modelListed === false && `It does not list the configured model ${endpoint.model}.`}
              </Typography>
              {(result.models ?? []).length > 0 && (
                <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', rowGap: 0.5 }} data-testid="test-models">
                  {(result.models ?? []).slice(0, 30).map((m) => (
                    <Chip key={m} size="small" variant={m === endpoint.model ? 'filled' : 'outlined'} label={m} />
                  ))}
                  {(result.models ?? []).length > 30 && <Typography variant="caption">and {(result.models ?? []).length - 30} more</Typography>}
                </Stack>
              )}
            </Stack>
          ) : (
            <Typography variant="body2" data-testid="test-error">
              {result.error ?? 'The endpoint did not answer.'}
              {result.latencyMs ? ` (after ${result.latencyMs} ms)` : ''}
            </Typography>
          )}
        </Alert>
      )}
    </Box>
  );
};
