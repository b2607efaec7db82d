import CallSplit from '@mui/icons-material/CallSplit';
import { Button as MuiButton, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { Button, useDataProvider, useNotify, useRefresh } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';

/** Seeded train/eval split: tags every record not rejected split:train or split:eval. */
export const SplitButton = ({ versionId }: { versionId: string }) => {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [evalFraction, setEvalFraction] = useState('0.1');
  const [seed, setSeed] = useState('0');
  const [stratify, setStratify] = useState(false);
  const [busy, setBusy] = useState(false);
  const fraction = Number(evalFraction);
  const seedNumber = Number(seed);
  const valid = fraction > 0 && fraction < 1 && Number.isInteger(seedNumber);

  const submit = async () => {
    setBusy(true);
    try {
      const { data } = await dataProvider.splitVersion(versionId, { evalFraction: fraction, seed: seedNumber, ...(stratify ? { stratifyBy: 'tag' as const } : {}) });
      notify(`Split: ${data.train.toLocaleString()} tagged split:train, ${data.eval.toLocaleString()} tagged split:eval`, { type: 'success' });
      setOpen(false);
      refresh();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      notify(message, { type: 'error', messageArgs: { _: message } });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button label="Split" onClick={() => setOpen(true)} data-testid="split">
        <CallSplit />
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby="split-title">
        <DialogTitle id="split-title">Train / eval split</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ pt: 1, maxWidth: 420 }}>
            <Typography variant="body2" color="text.secondary">
              Tags every record that is not rejected <code>split:train</code> or <code>split:eval</code> (replacing an earlier split). The same seed gives the
              same split. A training run can then train on one tag and evaluate on the other.
            </Typography>
            <TextField
              label="Eval fraction"
              type="number"
              value={evalFraction}
              onChange={(e) => setEvalFraction(e.target.value)}
              error={!(fraction > 0 && fraction < 1)}
              helperText="Between 0 and 1, e.g. 0.1"
              slotProps={{ htmlInput: { step: 0.05, min: 0, max: 1, 'data-testid': 'split-fraction' } }}
            />
            <TextField label="Seed" type="number" value={seed} onChange={(e) => setSeed(e.target.value)} error={!Number.isInteger(seedNumber)} slotProps={{ htmlInput: { step: 1 } }} />
            <FormControlLabel control={<Checkbox checked={stratify} onChange={(e) => setStratify(e.target.checked)} />} label="Stratify by each record's first tag" />
          </Stack>
        </DialogContent>
        <DialogActions>
          <MuiButton onClick={() => setOpen(false)}>Cancel</MuiButton>
          <MuiButton variant="contained" onClick={submit} disabled={busy || !valid} data-testid="split-submit">
            Split
          </MuiButton>
        </DialogActions>
      </Dialog>
    </>
  );
};
