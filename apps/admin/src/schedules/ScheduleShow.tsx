import { Chip, Link as MuiLink, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import { EditButton, Show, TopToolbar, useRecordContext } from 'react-admin';
import { Fact, Facts, Muted, Panel } from '../lib/panels';
import { RunStatusChip } from '../runs/RunStatusChip';
import type { RunStatus } from '../runs/types';
import { formatInZone, previewCron } from './cron';
import { describeGate } from './gate';
import { PauseResumeButton, TriggerButton } from './ScheduleActions';
import { EnabledChip } from './ScheduleList';
import type { Schedule } from './types';

const Title = () => {
  const s = useRecordContext<Schedule>();
  return <span>Schedule {s?.name ?? ''}</span>;
};

const Actions = () => (
  <TopToolbar>
    <TriggerButton />
    <PauseResumeButton />
    <EditButton data-testid="edit-schedule" />
  </TopToolbar>
);

const Fires = ({ s }: { s: Schedule }) => {
  const fires = s.fires ?? [];
  if (fires.length === 0) return <Muted testId="fires-empty">Not fired yet.</Muted>;
  return (
    <TableContainer sx={{ maxHeight: 420 }}>
      <Table size="small" stickyHeader aria-label="Fires" data-testid="fires-table">
        <TableHead>
          <TableRow>
            <TableCell>Tick</TableCell>
            <TableCell>Run</TableCell>
            <TableCell>Status</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {fires.map((f) => (
            <TableRow key={f.id} data-testid="fire-row" data-skipped={String(!!f.skipped)}>
              <TableCell>{formatInZone(f.tick, s.timezone)}</TableCell>
              <TableCell>
                {f.runId ? (
                  <MuiLink component={Link} to={`/runs/${encodeURIComponent(f.runId)}/show`} data-testid="fire-run" sx={{ fontFamily: 'monospace' }}>
                    {f.runId.slice(0, 8)}
                  </MuiLink>
                ) : (
                  '—'
                )}
              </TableCell>
              <TableCell>
                {f.skipped ? (
                  <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
                    <Chip size="small" variant="outlined" color="warning" label="skipped" />
                    <Typography variant="body2" color="text.secondary" data-testid="fire-skip-reason">
                      {f.skipped}
                    </Typography>
                  </Stack>
                ) : f.runStatus ? (
                  <RunStatusChip status={f.runStatus as RunStatus} />
                ) : (
                  <Muted>starting…</Muted>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
};

const ScheduleDetails = () => {
  const s = useRecordContext<Schedule>();
  if (!s) return null;
  const preview = previewCron(s.cron, s.timezone, 0);
  const t = s.template ?? ({} as Schedule['template']);
  const gate = describeGate(s.gate);
  const next = s.nextFireTimes ?? [];
  return (
    <Stack spacing={2} sx={{ p: 2 }} data-testid="schedule-details" data-enabled={String(s.enabled)}>
      <Facts>
        <Fact label="State">
          <EnabledChip enabled={s.enabled} />
        </Fact>
        <Fact label="Cron">
          <span style={{ fontFamily: 'monospace' }}>{s.cron}</span>
        </Fact>
        <Fact label="When" testId="schedule-description">
          {preview.description ?? preview.error} ({s.timezone})
        </Fact>
        <Fact label="Last fired">{s.lastFiredAt ? formatInZone(s.lastFiredAt, s.timezone) : 'never'}</Fact>
        <Fact label="Auto-promote">{s.autoPromote ? 'yes, when the gate passes' : 'no'}</Fact>
      </Facts>
      <Panel title="Next fire times" testId="schedule-next">
        {next.length ? (
          <ol style={{ margin: 0, paddingLeft: 20 }}>
            {next.map((d) => (
              <li key={d} data-testid="schedule-next-time">
                <Typography variant="body2">{formatInZone(d, s.timezone)}</Typography>
              </li>
            ))}
          </ol>
        ) : (
          <Muted>{s.enabled ? 'None.' : 'Paused: it does not fire until resumed.'}</Muted>
        )}
      </Panel>
      <Panel title="Pipeline template">
        <Facts testId="schedule-template">
          <Fact label="Prompts">{t.dataset} (latest ready version)</Fact>
          <Fact label="Held-out">{t.evalDataset} (latest ready version)</Fact>
          <Fact label="Teacher">{t.teacher}</Fact>
          <Fact label="Student">{t.student}</Fact>
          <Fact label="Adapter">{t.adapter}</Fact>
          {t.hyperparameters && (
            <Fact label="Training">
              {t.hyperparameters.method} r{t.hyperparameters.rank} · {t.hyperparameters.steps} steps × {t.hyperparameters.batchSize} · seq {t.hyperparameters.maxSeqLen}
            </Fact>
          )}
        </Facts>
      </Panel>
      <Panel title="Promotion gate" testId="schedule-gate">
        {gate.length ? (
          <ul style={{ margin: 0, paddingLeft: 20 }}>
            {gate.map((g) => (
              <li key={g}>
                <Typography variant="body2">{g}</Typography>
              </li>
            ))}
          </ul>
        ) : (
          <Muted>No rules: every successful candidate passes.</Muted>
        )}
      </Panel>
      <Panel title="Fires" testId="schedule-fires">
        <Fires s={s} />
      </Panel>
    </Stack>
  );
};

export const ScheduleShow = () => (
  <Show title={<Title />} actions={<Actions />} queryOptions={{ refetchInterval: 5000 }}>
    <ScheduleDetails />
  </Show>
);
