import Check from '@mui/icons-material/Check';
import Close from '@mui/icons-material/Close';
import LocalOffer from '@mui/icons-material/LocalOffer';
import { Button as MuiButton, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, Radio, RadioGroup, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { Button, Confirm, useDataProvider, useListContext, useNotify, useRefresh } from 'react-admin';
import { cleanFilter, type BulkRecordsParams, type RetortDataProvider } from '../dataProvider';
import type { RecordFilter, RecordStatus } from '../datasets/types';

const TAG = /^[^\s,]{1,64}$/;

/** Runs one bulk call and reports it; every curation view refreshes after it. */
function useBulk(versionId: string) {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const run = async (params: BulkRecordsParams, what: string): Promise<boolean> => {
    setBusy(true);
    try {
      const { data } = await dataProvider.bulkRecords(versionId, params);
      notify(`${what}: ${data.updated.toLocaleString()} record${data.updated === 1 ? '' : 's'} updated`, { type: 'success' });
      refresh();
      return true;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      notify(message, { type: 'error', messageArgs: { _: message } });
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { run, busy };
}

/** Asks for a tag and whether to add or remove it. */
const TagDialog = ({ open, count, onClose, onApply }: { open: boolean; count: string; onClose: () => void; onApply: (tag: string, mode: 'add' | 'remove') => void }) => {
  const [tag, setTag] = useState('');
  const [mode, setMode] = useState<'add' | 'remove'>('add');
  const valid = TAG.test(tag);
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="tag-title">
      <DialogTitle id="tag-title">Tag {count}</DialogTitle>
      <DialogContent>
        <Stack spacing={1} sx={{ pt: 1, minWidth: 360 }}>
          <TextField
            label="Tag"
            value={tag}
            onChange={(e) => setTag(e.target.value.trim())}
            autoFocus
            error={tag !== '' && !valid}
            helperText={tag !== '' && !valid ? 'No spaces or commas, at most 64 characters' : 'e.g. reviewed, billing, hard'}
            slotProps={{ htmlInput: { 'data-testid': 'bulk-tag-input' } }}
          />
          <RadioGroup row value={mode} onChange={(e) => setMode(e.target.value as 'add' | 'remove')}>
            <FormControlLabel value="add" control={<Radio />} label="Add" />
            <FormControlLabel value="remove" control={<Radio />} label="Remove" />
          </RadioGroup>
        </Stack>
      </DialogContent>
      <DialogActions>
        <MuiButton onClick={onClose}>Cancel</MuiButton>
        <MuiButton variant="contained" disabled={!valid} onClick={() => onApply(tag, mode)} data-testid="bulk-tag-submit">
          Apply
        </MuiButton>
      </DialogActions>
    </Dialog>
  );
};

/** The three bulk actions over one filter: accept, reject (confirmed), tag. */
const BulkButtons = ({ versionId, filter, count, scope, onDone }: { versionId: string; filter: RecordFilter; count: string; scope: string; onDone?: () => void }) => {
  const { run, busy } = useBulk(versionId);
  const [confirm, setConfirm] = useState<RecordStatus | null>(null);
  const [tagging, setTagging] = useState(false);
  const setStatus = async (status: RecordStatus) => {
    if (await run({ filter, status }, status === 'accepted' ? 'Accepted' : 'Rejected')) onDone?.();
    setConfirm(null);
  };
  return (
    <>
      <Button label={`Accept ${scope}`} onClick={() => setConfirm('accepted')} disabled={busy} data-testid={`bulk-accept-${scope.split(' ')[0]}`}>
        <Check />
      </Button>
      <Button label={`Reject ${scope}`} onClick={() => setConfirm('rejected')} disabled={busy} color="error" data-testid={`bulk-reject-${scope.split(' ')[0]}`}>
        <Close />
      </Button>
      <Button label={`Tag ${scope}`} onClick={() => setTagging(true)} disabled={busy} data-testid={`bulk-tag-${scope.split(' ')[0]}`}>
        <LocalOffer />
      </Button>
      <Confirm
        isOpen={confirm !== null}
        loading={busy}
        title={`${confirm === 'accepted' ? 'Accept' : 'Reject'} ${count}?`}
        content={
          confirm === 'rejected'
            ? 'Rejected records are left out when the curation is committed as a new version. You can accept them again until then.'
            : 'Accepted records are kept when the curation is committed.'
        }
        confirm={confirm === 'accepted' ? 'Accept' : 'Reject'}
        confirmColor={confirm === 'rejected' ? 'warning' : 'primary'}
        onConfirm={() => confirm && setStatus(confirm)}
        onClose={() => setConfirm(null)}
      />
      <TagDialog
        open={tagging}
        count={count}
        onClose={() => setTagging(false)}
        onApply={async (tag, mode) => {
          const ok = await run({ filter, ...(mode === 'add' ? { addTags: [tag] } : { removeTags: [tag] }) }, mode === 'add' ? `Tagged ${tag}` : `Removed tag ${tag}`);
          if (ok) {
            setTagging(false);
            onDone?.();
          }
        }}
      />
    </>
  );
};

/** In the list's toolbar: act on every record that matches the current filter (all pages). */
export const MatchingActions = ({ versionId }: { versionId: string }) => {
  const { filterValues, total, isPending } = useListContext();
  const { versionId: _ignored, ...filter } = filterValues ?? {};
  const clean = cleanFilter(filter) as RecordFilter;
  const n = total ?? 0;
  const filtered = Object.keys(clean).length > 0;
  if (isPending || n === 0) return null;
  return (
    <Stack direction="row" spacing={0.5} sx={{ alignItems: 'center' }} data-testid="matching-actions" data-count={n}>
      <Typography variant="body2" color="text.secondary" sx={{ mr: 1 }}>
        {n.toLocaleString()} {filtered ? 'matching' : 'in all'}:
      </Typography>
      <BulkButtons versionId={versionId} filter={clean} count={`${n.toLocaleString()} ${filtered ? 'matching' : ''} record${n === 1 ? '' : 's'}`.replace('  ', ' ')} scope="all" />
    </Stack>
  );
};

/** When rows are ticked: act on those rows only. */
export const SelectedActions = ({ versionId }: { versionId: string }) => {
  const { selectedIds, onUnselectItems } = useListContext();
  const n = selectedIds.length;
  return <BulkButtons versionId={versionId} filter={{ id: selectedIds.map(String) }} count={`${n} selected record${n === 1 ? '' : 's'}`} scope="selected" onDone={onUnselectItems} />;
};
