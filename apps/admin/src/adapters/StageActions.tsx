import Publish from '@mui/icons-material/Publish';
import Undo from '@mui/icons-material/Undo';
import { Alert, Button as MuiButton, Dialog, DialogActions, DialogContent, DialogTitle, MenuItem, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { Button, Confirm, useCanAccess, useDataProvider, useNotify, useRefresh } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import { STAGES, type AdapterDetail, type Stage } from './types';

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The alias a stage is served as (the API's servedAs): production under the adapter's name. */
export const servedAs = (adapter: string, stage: Stage) => (stage === 'production' ? adapter : `${adapter}-staging`);

const versionLabel = (v: number | undefined) => (typeof v === 'number' ? `v${v}` : 'no version');

/** The version a stage goes back to on rollback: the `from` of its last promote or rollback. */
export function rollbackTarget(adapter: AdapterDetail, stage: Stage): number | undefined {
  const last = adapter.history.find((h) => h.stage === stage && (h.action === 'promote' || h.action === 'rollback'));
  if (!last?.fromVersionId) return undefined;
  return adapter.versions.find((v) => v.id === last.fromVersionId)?.version;
}

/**
 * "Promote" (admins): pick a version and a stage, read what changes (production: v1 → v2, the
 * alias the endpoints serve it as), confirm. The API loads it on every serving endpoint and
 * smoke-tests it before re-pointing the stage; when a load fails (502) the stage stays put and
 * the dialog shows why.
 */
export const PromoteButton = ({ adapter, version, compact = false }: { adapter: AdapterDetail; version?: number; compact?: boolean }) => {
  const { canAccess } = useCanAccess({ resource: 'adapters', action: 'promote', record: adapter });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [chosen, setChosen] = useState<number | ''>(version ?? adapter.latestVersion ?? '');
  const [stage, setStage] = useState<Stage>('production');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!canAccess || adapter.versions.length === 0) return null;
  const current = adapter.stages?.[stage];
  const same = chosen !== '' && current === chosen;
  const close = () => {
    if (busy) return;
    setOpen(false);
    setError(null);
  };
  const promote = async () => {
    if (chosen === '') return;
    setBusy(true);
    setError(null);
    try {
      const { data } = await dataProvider.promoteAdapter(adapter.id, { version: chosen, stage });
      notify(`${data.adapter} v${data.version} is now ${data.stage}`, { type: 'success' });
      setOpen(false);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      refresh();
    }
  };
  const testId = version === undefined ? 'promote-adapter' : 'promote-version';
  return (
    <>
      <Button
        label={compact ? 'Promote' : 'Promote…'}
        onClick={() => {
          setChosen(version ?? adapter.latestVersion ?? '');
          setOpen(true);
        }}
        data-testid={testId}
        data-version={version}
      >
        <Publish />
      </Button>
      <Dialog open={open} onClose={close} fullWidth maxWidth="sm" data-testid="promote-dialog">
        <DialogTitle>Promote {adapter.name}</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            <Stack direction="row" spacing={2}>
              <TextField
                select
                label="Version"
                value={chosen}
                onChange={(e) => setChosen(Number(e.target.value))}
                sx={{ minWidth: 160 }}
                slotProps={{ htmlInput: { 'data-testid': 'promote-version-select' } }}
              >
                {adapter.versions.map((v) => (
                  <MenuItem key={v.id} value={v.version}>
                    v{v.version}
                    {v.gate ? (v.gate.passed ? ' · gate passed' : ' · gate blocked') : ''}
                  </MenuItem>
                ))}
              </TextField>
              <TextField select label="Stage" value={stage} onChange={(e) => setStage(e.target.value as Stage)} sx={{ minWidth: 160 }}>
                {STAGES.map((s) => (
                  <MenuItem key={s} value={s}>
                    {s}
                  </MenuItem>
                ))}
              </TextField>
            </Stack>
            <Alert severity={same ? 'info' : 'warning'} data-testid="promote-summary">
              {same ? (
                <>
                  {stage} is already on {versionLabel(current)}.
                </>
              ) : (
                <>
                  <Typography variant="body2" component="div" sx={{ fontWeight: 600 }}>
                    {stage}: {versionLabel(current)} → {chosen === '' ? '?' : `v${chosen}`}
                  </Typography>
                  <Typography variant="body2" component="div">
                    Every serving endpoint loads {adapter.name}-v{chosen} and answers a smoke test; then requests for “{servedAs(adapter.name, stage)}” go to it. If an
                    endpoint cannot load it, {stage} stays on {versionLabel(current)}.
                  </Typography>
                </>
              )}
            </Alert>
            {error && (
              <Alert severity="error" data-testid="promote-error">
                {error}
              </Alert>
            )}
          </Stack>
        </DialogContent>
        <DialogActions>
          <MuiButton onClick={close} disabled={busy}>
            Cancel
          </MuiButton>
          <MuiButton variant="contained" onClick={promote} disabled={busy || chosen === '' || same} data-testid="promote-confirm">
            {busy ? 'Promoting…' : `Promote to ${stage}`}
          </MuiButton>
        </DialogActions>
      </Dialog>
    </>
  );
};

/** "Roll back" a stage (admins): back to the version it served before its last change, after a confirmation. */
export const RollbackButton = ({ adapter, stage }: { adapter: AdapterDetail; stage: Stage }) => {
  const { canAccess } = useCanAccess({ resource: 'adapters', action: 'rollback', record: adapter });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const target = rollbackTarget(adapter, stage);
  const current = adapter.stages?.[stage];
  if (!canAccess || current === undefined || target === undefined) return null;
  const rollback = async () => {
    setBusy(true);
    try {
      const { data } = await dataProvider.rollbackAdapter(adapter.id, stage);
      notify(`${stage} of ${data.adapter} is back on v${data.version}`, { type: 'info' });
    } catch (e) {
      notify(errorMessage(e), { type: 'error', messageArgs: { _: errorMessage(e) } });
    } finally {
      setBusy(false);
      setOpen(false);
      refresh();
    }
  };
  return (
    <>
      <Button label={`Roll back ${stage}`} onClick={() => setOpen(true)} disabled={busy} color="warning" data-testid="rollback-stage" data-stage={stage}>
        <Undo />
      </Button>
      <Confirm
        isOpen={open}
        loading={busy}
        title={`Roll back ${stage} of ${adapter.name}?`}
        content={`${stage}: v${current} → v${target}. The serving endpoints load v${target} again and answer “${servedAs(adapter.name, stage)}” with it.`}
        confirm="Roll back"
        onConfirm={rollback}
        onClose={() => setOpen(false)}
      />
    </>
  );
};
