import Insights from '@mui/icons-material/Insights';
import { Alert, Button as MuiButton, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Slider, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import { Button, useDataProvider, useNotify, useRefresh } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';

/**
 * "Analyze": queue dedup (MinHash near-duplicates at a Jaccard threshold, plus exact ones)
 * and/or PII scrubbing on the worker. Results appear in the version's analysis.
 */
export const AnalyzeButton = ({ versionId, busy }: { versionId: string; busy: boolean }) => {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [dedup, setDedup] = useState(true);
  const [threshold, setThreshold] = useState(0.8);
  const [pii, setPii] = useState(false);
  const [sending, setSending] = useState(false);

  const submit = async () => {
    setSending(true);
    try {
      await dataProvider.analyzeVersion(versionId, { ...(dedup ? { dedup: { threshold } } : {}), ...(pii ? { pii: true } : {}) });
      notify('Analysis queued on a worker', { type: 'info' });
      setOpen(false);
      refresh();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      notify(message, { type: 'error', messageArgs: { _: message } });
    } finally {
      setSending(false);
    }
  };

  return (
    <>
      <Button label={busy ? 'Analyzing…' : 'Analyze'} onClick={() => setOpen(true)} disabled={busy} data-testid="analyze">
        <Insights />
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby="analyze-title" fullWidth maxWidth="sm">
        <DialogTitle id="analyze-title">Analyze this version</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <FormControlLabel control={<Checkbox checked={dedup} onChange={(e) => setDedup(e.target.checked)} data-testid="analyze-dedup" />} label="Find duplicates (exact and near)" />
            {dedup && (
              <Stack sx={{ px: 2 }}>
                <Typography variant="body2" gutterBottom id="threshold-label">
                  Near-duplicate threshold (Jaccard similarity of word shingles): {threshold.toFixed(2)}
                </Typography>
                <Slider
                  value={threshold}
                  onChange={(_, v) => setThreshold(v as number)}
                  min={0.5}
                  max={1}
                  step={0.05}
                  marks={[{ value: 0.5, label: '0.5 looser' }, { value: 0.8, label: '0.8' }, { value: 1, label: '1 stricter' }]}
                  aria-labelledby="threshold-label"
                  data-testid="analyze-threshold"
                />
              </Stack>
            )}
            <FormControlLabel control={<Checkbox checked={pii} onChange={(e) => setPii(e.target.checked)} data-testid="analyze-pii" />} label="Scrub PII (emails, phone and card numbers)" />
            {pii && (
              <Alert severity="warning">
                Scrubbing rewrites the records' text here (e.g. an email becomes [EMAIL]) and marks them edited; the change reaches a version when you
                commit.
              </Alert>
            )}
          </Stack>
        </DialogContent>
        <DialogActions>
          <MuiButton onClick={() => setOpen(false)}>Cancel</MuiButton>
          <MuiButton variant="contained" onClick={submit} disabled={sending || (!dedup && !pii)} data-testid="analyze-submit">
            Analyze
          </MuiButton>
        </DialogActions>
      </Dialog>
    </>
  );
};
