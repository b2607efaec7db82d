import UploadFile from '@mui/icons-material/UploadFile';
import {
  Alert,
  Box,
  Button as MuiButton,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  LinearProgress,
  MenuItem,
  Stack,
  TextField,
  Typography,
} from '@mui/material';
import type { FieldError } from '@retort/contracts';
import { useRef, useState } from 'react';
import { Button, HttpError, useCanAccess, useDataProvider, useGetList, useNotify, useRecordContext, useRefresh } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import { formatBytes } from '../lib/format';
import { problemErrors } from '../lib/problem';
import type { BaseModel } from '../models/types';
import type { Dataset } from './types';
import { UploadErrors } from './UploadErrors';

type Phase = 'idle' | 'sending' | 'waiting';

interface Rejection {
  detail: string;
  errors: FieldError[];
  total?: number;
}

/**
 * "Upload JSONL" (operator and admin): picks a .jsonl file and POSTs it as the raw body of
 * `/datasets/:id/versions`, with upload progress; a 422 lists its line errors in the dialog.
 */
export const UploadVersionButton = () => {
  const dataset = useRecordContext<Dataset>();
  const { canAccess } = useCanAccess({ resource: 'datasets', action: 'upload', record: dataset });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();

  const [open, setOpen] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>('idle');
  const [progress, setProgress] = useState<number | null>(0);
  const [rejection, setRejection] = useState<Rejection | null>(null);
  const [model, setModel] = useState('');
  const abort = useRef<AbortController | null>(null);
  // Models with a tokenizer can count tokens for the version's stats (token-length histogram).
  const { data: models } = useGetList<BaseModel>('models', { pagination: { page: 1, perPage: 100 }, sort: { field: 'name', order: 'ASC' } }, { enabled: open });
  const tokenizers = (models ?? []).filter((m) => m.hasTokenizer);

  if (!dataset || !canAccess) return null;
  const busy = phase !== 'idle';

  const reset = () => {
    setFile(null);
    setPhase('idle');
    setProgress(0);
    setRejection(null);
  };
  const close = () => {
    abort.current?.abort();
    setOpen(false);
    reset();
  };

  const upload = async () => {
    if (!file) return;
    const controller = new AbortController();
    abort.current = controller;
    setRejection(null);
    setProgress(0);
    setPhase('sending');
    try {
      const { data } = await dataProvider.uploadDatasetVersion(dataset.id, {
        file,
        model: model || undefined,
        signal: controller.signal,
        onProgress: (fraction) => {
          setProgress(fraction);
          if (fraction === 1) setPhase('waiting'); // sent; the API is reading it
        },
      });
      if (!data?.id) return; // signed out on the way (401): the login page takes over
      notify(`Uploaded ${file.name} as version ${data.version}`, { type: 'success' });
      setOpen(false);
      reset();
      refresh();
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') return;
      if (error instanceof HttpError && error.status === 422) {
        const body = error.body as { totalErrors?: number } | undefined;
        setRejection({ detail: error.message, errors: problemErrors(error.body), total: body?.totalErrors });
      } else {
        const message = error instanceof Error ? error.message : String(error);
        notify(message, { type: 'error', messageArgs: { _: message } });
      }
      setPhase('idle');
    } finally {
      abort.current = null;
    }
  };

  return (
    <>
      <Button label="Upload JSONL" onClick={() => setOpen(true)} data-testid="upload-jsonl" aria-label="Upload JSONL">
        <UploadFile />
      </Button>
      <Dialog open={open} onClose={busy ? undefined : close} fullWidth maxWidth="md" aria-labelledby="upload-title">
        <DialogTitle id="upload-title">Upload a new version of {dataset.name}</DialogTitle>
        <DialogContent>
          <Stack spacing={2}>
            <Typography variant="body2" color="text.secondary">
              One JSON object per line, each with <code>messages: [{'{'}role, content{'}'}]</code>. The upload becomes the
              next version once the API has checked every line.
            </Typography>
            <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
              <MuiButton variant="outlined" component="label" disabled={busy}>
                Choose file
                <input
                  hidden
                  type="file"
                  accept=".jsonl,.ndjson,application/x-ndjson,application/jsonl"
                  data-testid="upload-file-input"
                  aria-label="JSONL file"
                  onChange={(event) => {
                    setFile(event.target.files?.[0] ?? null);
                    setRejection(null);
                    setProgress(0);
                    event.target.value = ''; // choosing the same file again still fires
                  }}
                />
              </MuiButton>
              <Typography variant="body2" data-testid="upload-file-name">
                {file ? `${file.name} (${formatBytes(file.size)})` : 'No file chosen'}
              </Typography>
            </Stack>
            {tokenizers.length > 0 && (
              <TextField
                select
                label="Count tokens with"
                value={model}
                onChange={(event) => setModel(event.target.value)}
                disabled={busy}
                helperText="Optional: a registered model's tokenizer counts each record's tokens (token-length histogram)"
                sx={{ maxWidth: 420 }}
                slotProps={{ htmlInput: { 'data-testid': 'upload-model' } }}
              >
                <MenuItem value="">
                  <em>Don't count tokens</em>
                </MenuItem>
                {tokenizers.map((m) => (
                  <MenuItem key={m.id} value={m.name}>
                    {m.name}
                  </MenuItem>
                ))}
              </TextField>
            )}
            {busy && (
              <Box>
                <LinearProgress
                  data-testid="upload-progress"
                  aria-label="Upload progress"
                  variant={phase === 'sending' && progress !== null ? 'determinate' : 'indeterminate'}
                  value={Math.round((progress ?? 0) * 100)}
                />
                <Typography variant="caption" color="text.secondary">
                  {phase === 'waiting'
                    ? 'Sent; waiting for the API to check it…'
                    : progress === null
                      ? 'Sending…'
                      : `Sending… ${Math.round(progress * 100)}%`}
                </Typography>
              </Box>
            )}
            {rejection && (
              <>
                <Alert severity="error" data-testid="upload-error-detail">
                  {rejection.detail}
                </Alert>
                {rejection.errors.length > 0 && <UploadErrors errors={rejection.errors} total={rejection.total} />}
              </>
            )}
          </Stack>
        </DialogContent>
        <DialogActions>
          <MuiButton onClick={close}>{busy ? 'Cancel upload' : 'Close'}</MuiButton>
          <MuiButton variant="contained" onClick={upload} disabled={!file || busy} data-testid="upload-submit">
            Upload
          </MuiButton>
        </DialogActions>
      </Dialog>
    </>
  );
};
