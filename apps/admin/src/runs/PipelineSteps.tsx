import { Chip, Link as MuiLink, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import { GateVerdictView } from './EvaluationReport';
import { RunProgress } from './RunProgress';
import { RunStatusChip } from './RunStatusChip';
import type { GateVerdict, Run } from './types';
import { STEP_LABEL, usePipelineSteps } from './usePipelineSteps';

/** A pipeline's summary once it succeeded (the evaluate step's): scores by label and the gate. */
export interface PipelineSummary {
  adapterVersionId?: string;
  scores?: Record<string, Record<string, number | undefined>>;
  gate?: GateVerdict;
  evaluateRunId?: string;
}

/** The pipeline's steps (`config.steps`: generate → train → evaluate), polled while any is active. */
export const PipelineSteps = ({ run }: { run: Run }) => {
  const steps = usePipelineSteps(run);
  if (steps.length === 0) return <Typography variant="body2" color="text.secondary">This pipeline lists no steps.</Typography>;
  return (
    <TableContainer>
      <Table size="small" aria-label="Pipeline steps" data-testid="pipeline-steps">
        <TableHead>
          <TableRow>
            <TableCell>#</TableCell>
            <TableCell>Step</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Progress</TableCell>
            <TableCell>Run</TableCell>
            <TableCell>Note</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {steps.map(({ name: k, id, run: step }, i) => {
            return (
              <TableRow key={k} data-testid="pipeline-step" data-kind={k} data-status={step?.status ?? ''}>
                <TableCell>{i + 1}</TableCell>
                <TableCell>{STEP_LABEL[k]}</TableCell>
                <TableCell>{step ? <RunStatusChip status={step.status} error={step.error} /> : '…'}</TableCell>
                <TableCell>{step && <RunProgress run={step} />}</TableCell>
                <TableCell>
                  <MuiLink component={Link} to={`/runs/${encodeURIComponent(id)}/show`} sx={{ fontFamily: 'monospace' }} data-testid="pipeline-step-link">
                    {id.slice(0, 8)}
                  </MuiLink>
                </TableCell>
                <TableCell sx={{ maxWidth: 360 }}>
                  <Typography variant="body2" color={step?.error ? 'error' : 'text.secondary'}>
                    {step?.error ?? ''}
                  </Typography>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableContainer>
  );
};

/** Scores by subject (base, candidate, production, teacher) and the gate, from a finished pipeline. */
export const PipelineOutcome = ({ summary }: { summary: PipelineSummary }) => {
  const labels = Object.keys(summary.scores ?? {});
  const metrics = [...new Set(labels.flatMap((l) => Object.keys(summary.scores![l] ?? {})))];
  return (
    <Stack spacing={1.5} data-testid="pipeline-outcome">
      {summary.gate !== undefined && <GateVerdictView gate={summary.gate} />}
      {labels.length > 0 && (
        <TableContainer>
          <Table size="small" aria-label="Scores">
            <TableHead>
              <TableRow>
                <TableCell>Metric</TableCell>
                {labels.map((l) => (
                  <TableCell key={l} align="right">
                    <Chip size="small" variant="outlined" label={l} />
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {metrics.map((m) => (
                <TableRow key={m}>
                  <TableCell>{m}</TableCell>
                  {labels.map((l) => {
                    const v = summary.scores![l]?.[m];
                    return (
                      <TableCell key={l} align="right">
                        {typeof v === 'number' ? v.toFixed(4) : '—'}
                      </TableCell>
                    );
                  })}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Stack>
  );
};
