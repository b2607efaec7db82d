import { Alert, Box, Chip, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography, useTheme } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router-dom';
import { DateField, ReferenceField, Show, TextField, TopToolbar, useDataProvider, useRecordContext } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import { VersionLink } from '../datasets/VersionLink';
import { LineChart, type Series } from '../lib/charts';
import { Fact, Panel } from '../lib/panels';
import { elapsedMs, formatDuration } from '../lib/time';
import { lossSeries, pollRunWhileActive, RUN_POLL_MS } from './metrics';
import { EvaluationReport } from './EvaluationReport';
import { EventLog } from './EventLog';
import { HyperparameterFacts } from './HyperparameterFacts';
import { PipelineConfiguration } from './PipelineConfiguration';
import { PipelineEvents } from './PipelineEvents';
import { PipelineOutcome, PipelineSteps, type PipelineSummary } from './PipelineSteps';
import { CancelRunButton, RetryRunButton } from './RunActions';
import { RunProgress } from './RunProgress';
import { RunStatusChip } from './RunStatusChip';
import { isFinished, type EvaluationReport as Report, type Run, type RunEvent } from './types';
import { useRunEvents } from './useRunEvents';

const Title = () => {
  const run = useRecordContext<Run>();
  return <span>{run ? `${run.kind === 'train' ? 'Run' : run.kind[0].toUpperCase() + run.kind.slice(1)} ${run.config?.adapterName ?? ''} (${run.id.slice(0, 8)})` : ''}</span>;
};

const Actions = () => (
  <TopToolbar>
    <CancelRunButton />
    <RetryRunButton />
  </TopToolbar>
);

const Summary = ({ run }: { run: Run }) => {
  const p = run.progress ?? {};
  return (
    <Stack direction="row" spacing={3} sx={{ flexWrap: 'wrap', rowGap: 1.5, alignItems: 'flex-start' }}>
      <Fact label="Status">
        <RunStatusChip status={run.status} />
      </Fact>
      <Fact label="Progress">
        <RunProgress run={run} wide />
      </Fact>
      {typeof p.lr === 'number' && <Fact label="Learning rate">{p.lr.toExponential(2)}</Fact>}
      {typeof p.tokensPerSec === 'number' && <Fact label="Tokens/s">{Math.round(p.tokensPerSec).toLocaleString()}</Fact>}
      {typeof p.finalLoss === 'number' && <Fact label="Final loss" testId="run-final-loss">{p.finalLoss.toFixed(4)}</Fact>}
      {p.eval && (
        <Fact label="Eval" testId="run-eval">
          loss {p.eval.loss.toFixed(4)}
          {typeof p.eval.tokenAccuracy === 'number' ? ` · token accuracy ${(p.eval.tokenAccuracy * 100).toFixed(1)}%` : ''}
          {typeof p.eval.perplexity === 'number' ? ` · perplexity ${p.eval.perplexity.toFixed(2)}` : ''}
        </Fact>
      )}
      <Fact label="Duration">{formatDuration(elapsedMs(run.startedAt, run.finishedAt)) || '—'}</Fact>
      <Fact label="Worker">{run.worker ?? '—'}</Fact>
      <Fact label="Created">
        <DateField source="createdAt" showTime />
      </Fact>
    </Stack>
  );
};

const Configuration = ({ run }: { run: Run }) => {
  const c = run.config ?? {};
  const hp = c.hyperparameters;
  return (
    <Stack direction="row" spacing={3} sx={{ flexWrap: 'wrap', rowGap: 1.5 }} data-testid="run-config">
      <Fact label="Base model">
        <ReferenceField source="config.baseModelId" reference="models" link="show" emptyText="—">
          <TextField source="name" />
        </ReferenceField>
      </Fact>
      <Fact label="Data">
        <Stack direction="row" spacing={1}>
          {(c.datasetVersionIds ?? []).map((id) => (
            <VersionLink key={id} id={id} />
          ))}
          {c.tag && <Chip size="small" label={`tag ${c.tag}`} />}
        </Stack>
      </Fact>
      {c.evalDatasetVersionId && (
        <Fact label="Eval data">
          <VersionLink id={c.evalDatasetVersionId} /> {c.evalTag && <Chip size="small" label={`tag ${c.evalTag}`} />}
        </Fact>
      )}
      <Fact label="Adapter">{c.adapterName ?? '—'}</Fact>
      {hp && <HyperparameterFacts hp={hp} />}
    </Stack>
  );
};

const LossChart = ({ events }: { events: RunEvent[] }) => {
  const theme = useTheme();
  const { train, eval: evalPoints } = lossSeries(events);
  if (train.length === 0 && evalPoints.length === 0) {
    return (
      <Box data-testid="loss-chart" data-points={0}>
        <Typography variant="body2" color="text.secondary">
          No training steps reported yet.
        </Typography>
      </Box>
    );
  }
  const series: Series[] = [{ name: 'train loss', points: train, color: theme.palette.primary.main }];
  if (evalPoints.length) series.push({ name: 'eval loss', points: evalPoints, dots: true, color: theme.palette.warning.main });
  return <LineChart series={series} xLabel="step" yLabel="loss" testId="loss-chart" ariaLabel="Loss by step" />;
};

const Checkpoints = ({ run }: { run: Run }) => {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const { data } = useQuery({
    // The status is in the key: the checkpoints are read once more when the run finishes.
    queryKey: ['runs', run.id, 'checkpoints', run.status],
    queryFn: () => dataProvider.getRunCheckpoints(run.id).then((r) => r.data),
    refetchInterval: isFinished(run.status) ? false : RUN_POLL_MS,
  });
  const rows = data ?? [];
  if (rows.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" data-testid="checkpoints-empty">
        No checkpoints yet.
      </Typography>
    );
  }
  return (
    <TableContainer sx={{ maxHeight: 320 }}>
      <Table size="small" stickyHeader data-testid="checkpoints-table" aria-label="Checkpoints">
        <TableHead>
          <TableRow>
            <TableCell>Step</TableCell>
            <TableCell>Loss</TableCell>
            <TableCell>Eval loss</TableCell>
            <TableCell>Token accuracy</TableCell>
            <TableCell>Saved</TableCell>
            <TableCell>Artifact</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((c) => (
            <TableRow key={c.id} data-testid="checkpoint-row">
              <TableCell>{c.step}</TableCell>
              <TableCell>{typeof c.metrics.loss === 'number' ? c.metrics.loss.toFixed(4) : ''}</TableCell>
              <TableCell>{typeof c.metrics.evalLoss === 'number' ? c.metrics.evalLoss.toFixed(4) : ''}</TableCell>
              <TableCell>{typeof c.metrics.tokenAccuracy === 'number' ? `${(c.metrics.tokenAccuracy * 100).toFixed(1)}%` : ''}</TableCell>
              <TableCell>{new Date(c.createdAt).toLocaleString()}</TableCell>
              <TableCell sx={{ fontFamily: 'monospace', fontSize: 12 }}>{c.artifactPrefix}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
};

/** The config of a generate or evaluate run, as plain facts. */
const OtherConfiguration = ({ run }: { run: Run }) => {
  const c = run.config as Record<string, any>;
  return (
    <Stack direction="row" spacing={3} sx={{ flexWrap: 'wrap', rowGap: 1.5 }} data-testid="run-config">
      {c.baseModelId && (
        <Fact label="Base model">
          <ReferenceField source="config.baseModelId" reference="models" link="show" emptyText="—">
            <TextField source="name" />
          </ReferenceField>
        </Fact>
      )}
      {c.teacherEndpointId && (
        <Fact label="Teacher">
          <ReferenceField source="config.teacherEndpointId" reference="endpoints" link="show" emptyText="—">
            <TextField source="name" />
          </ReferenceField>
        </Fact>
      )}
      {c.datasetVersionId && (
        <Fact label="Data">
          <VersionLink id={c.datasetVersionId} />
        </Fact>
      )}
      {c.outputDataset && <Fact label="Output data set">{c.outputDataset}</Fact>}
      {typeof c.samples === 'number' && <Fact label="Samples per prompt">{c.samples}</Fact>}
      {typeof c.maxTokens === 'number' && <Fact label="Max tokens">{c.maxTokens}</Fact>}
      {Array.isArray(c.adapters) && c.adapters.length > 0 && <Fact label="Adapters">{c.adapters.length}</Fact>}
      {run.parentId && (
        <Fact label="Pipeline">
          <Link to={`/runs/${encodeURIComponent(run.parentId)}/show`} data-testid="run-parent">
            {run.parentId.slice(0, 8)}
          </Link>
        </Fact>
      )}
    </Stack>
  );
};

const RunDetails = () => {
  const run = useRecordContext<Run>();
  const { events, error } = useRunEvents(run?.id, !!run && !isFinished(run.status));
  if (!run) return null;
  const report = (run.progress as { report?: Report } | undefined)?.report;
  return (
    <Stack spacing={2} sx={{ p: 2 }} data-testid="run-details" data-status={run.status} data-kind={run.kind}>
      <Summary run={run} />
      {run.error && (
        <Alert severity="error" data-testid="run-error">
          {run.error}
        </Alert>
      )}
      <Panel title="Configuration">{run.kind === 'train' ? <Configuration run={run} /> : run.kind === 'pipeline' ? <PipelineConfiguration run={run} /> : <OtherConfiguration run={run} />}</Panel>
      {run.kind === 'pipeline' && (
        <Panel title="Steps" testId="pipeline-panel">
          <PipelineSteps run={run} />
        </Panel>
      )}
      {run.kind === 'pipeline' && run.status === 'succeeded' && (
        <Panel title="Outcome">
          <PipelineOutcome summary={run.progress as PipelineSummary} />
        </Panel>
      )}
      {run.kind === 'evaluate' && (
        <Panel title="Evaluation report" testId="evaluation-panel">
          {report ? (
            <EvaluationReport report={report} />
          ) : (
            <Typography variant="body2" color="text.secondary">
              {isFinished(run.status) ? 'No report.' : 'The report appears when every subject has been scored.'}
            </Typography>
          )}
        </Panel>
      )}
      {run.kind === 'train' && (
        <>
          <Panel title="Loss" testId="loss-panel">
            {error && <Alert severity="warning">Could not read the run's events: {error.message}</Alert>}
            <LossChart events={events} />
          </Panel>
          <Panel title="Checkpoints">
            <Checkpoints run={run} />
          </Panel>
        </>
      )}
      <Panel title="Events">{run.kind === 'pipeline' ? <PipelineEvents run={run} events={events} /> : <EventLog events={events} />}</Panel>
    </Stack>
  );
};

/** A run: status, progress, the live loss curve (polled events), checkpoints and the event log. */
export const RunShow = () => (
  <Show title={<Title />} actions={<Actions />} queryOptions={{ refetchInterval: pollRunWhileActive }}>
    <RunDetails />
  </Show>
);
