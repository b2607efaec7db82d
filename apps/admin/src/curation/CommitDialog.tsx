import Save from '@mui/icons-material/Save';
import { Button as MuiButton, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button, useDataProvider, useNotify } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';

type Include = 'not-rejected' | 'accepted';

/**
 * "Commit as new version": the kept records (every one not rejected, or only the accepted ones,
 * optionally only those with a tag), with their edits, become the dataset's next version.
 */
export const CommitButton = ({ datasetId, versionId, counts }: { datasetId: string; versionId: string; counts: { pending: number | null; accepted: number | null } }) => {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [include, setInclude] = useState<Include>('not-rejected');
  const [tag, setTag] = useState('');
  const [busy, setBusy] = useState(false);
  const kept = include === 'accepted' ? counts.accepted : counts.pending === null || counts.accepted === null ? null : counts.pending + counts.accepted;

  const submit = async () => {
    setBusy(true);
    try {
      const { data } = await dataProvider.commitCuration(datasetId, { from: versionId, include, ...(tag.trim() ? { tag: tag.trim() } : {}) });
      notify(`Committed as version ${data.version}`, { type: 'success' });
      setOpen(false);
      navigate(`/datasets/${encodeURIComponent(datasetId)}/show`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      notify(message, { type: 'error', messageArgs: { _: message } });
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button label="Commit as new version" onClick={() => setOpen(true)} variant="contained" data-testid="commit-version">
        <Save />
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby="commit-title" fullWidth maxWidth="sm">
        <DialogTitle id="commit-title">Commit the curation as a new version</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <Typography variant="body2" color="text.secondary">
              This version stays as it is; the records you keep, with their edits and tags, become the next version of the dataset.
            </Typography>
            <RadioGroup value={include} onChange={(e) => setInclude(e.target.value as Include)}>
              <FormControlLabel value="not-rejected" control={<Radio data-testid="commit-include-not-rejected" />} label="Every record not rejected (pending and accepted)" />
              <FormControlLabel value="accepted" control={<Radio data-testid="commit-include-accepted" />} label="Only accepted records" />
            </RadioGroup>
            <TextField label="Only records tagged (optional)" value={tag} onChange={(e) => setTag(e.target.value)} helperText="e.g. split:train" />
            {kept !== null && !tag.trim() && (
              <Typography variant="body2" data-testid="commit-kept">
                {kept.toLocaleString()} record{kept === 1 ? '' : 's'} will be kept.
              </Typography>
            )}
          </Stack>
        </DialogContent>
        <DialogActions>
          <MuiButton onClick={() => setOpen(false)}>Cancel</MuiButton>
          <MuiButton variant="contained" onClick={submit} disabled={busy || kept === 0} data-testid="commit-submit">
            Commit
          </MuiButton>
        </DialogActions>
      </Dialog>
    </>
  );
};
