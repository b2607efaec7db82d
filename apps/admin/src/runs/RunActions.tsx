import Replay from '@mui/icons-material/Replay';
import StopCircle from '@mui/icons-material/StopCircle';
import { useState } from 'react';
import { Button, Confirm, useCanAccess, useDataProvider, useNotify, useRecordContext, useRefresh } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import type { Run } from './types';

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Cancel (queued or running; operator and admin): a running run stops within one step. */
export const CancelRunButton = () => {
  const run = useRecordContext<Run>();
  const { canAccess } = useCanAccess({ resource: 'runs', action: 'cancel', record: run });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!run || !canAccess || !(run.status === 'queued' || run.status === 'running')) return null;
  const cancel = async () => {
    setBusy(true);
    try {
      await dataProvider.cancelRun(run.id);
      notify('Run cancelled', { type: 'info' });
      refresh();
    } catch (e) {
      notify(errorMessage(e), { type: 'error', messageArgs: { _: errorMessage(e) } });
    } finally {
      setBusy(false);
      setOpen(false);
    }
  };
  return (
    <>
      <Button label="Cancel run" onClick={() => setOpen(true)} disabled={busy} data-testid="cancel-run" color="warning">
        <StopCircle />
      </Button>
      <Confirm
        isOpen={open}
        loading={busy}
        title="Cancel this run?"
        content="A running run stops after its current step and keeps its last checkpoint; Retry resumes from there."
        confirm="Cancel run"
        cancel="Keep running"
        onConfirm={cancel}
        onClose={() => setOpen(false)}
      />
    </>
  );
};

/** Retry (failed or cancelled; operator and admin): back to the queue, resuming from the last checkpoint. */
export const RetryRunButton = () => {
  const run = useRecordContext<Run>();
  const { canAccess } = useCanAccess({ resource: 'runs', action: 'retry', record: run });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  if (!run || !canAccess || !(run.status === 'failed' || run.status === 'cancelled')) return null;
  const retry = async () => {
    setBusy(true);
    try {
      await dataProvider.retryRun(run.id);
      notify('Run queued again; it resumes from its last checkpoint', { type: 'info' });
      refresh();
    } catch (e) {
      notify(errorMessage(e), { type: 'error', messageArgs: { _: errorMessage(e) } });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button label="Retry" onClick={retry} disabled={busy} data-testid="retry-run">
      <Replay />
    </Button>
  );
};
