import Download from '@mui/icons-material/Download';
import {
  Alert,
  Box,
  Chip,
  IconButton,
  Link as MuiLink,
  MenuItem,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { DateField, Show, TopToolbar, useDataProvider, useGetOne, useNotify, useRecordContext } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import { VersionLink } from '../datasets/VersionLink';
import { shortSha } from '../lib/format';
import { API_URL } from '../lib/me';
import { Fact, Facts, Muted, Panel } from '../lib/panels';
import { getToken } from '../lib/token';
import { EvaluationReport, GateVerdictView } from '../runs/EvaluationReport';
import type { EvaluationReport as Report, Run } from '../runs/types';
import { PromoteButton, RollbackButton } from './StageActions';
import { StageChips } from './StageChips';
import { deploymentFields, STAGES, type AdapterDetail, type AdapterVersion } from './types';

const Title = () => {
  const a = useRecordContext<AdapterDetail>();
  return <span>Adapter {a?.name ?? ''}</span>;
};

const runPath = (id: string) => `/runs/${encodeURIComponent(id)}/show`;
const RunLink = ({ id, label }: { id: string; label?: string }) => (
  <MuiLink component={Link} to={runPath(id)} data-testid="run-link" sx={{ fontFamily: label ? undefined : 'monospace' }}>
    {label ?? id.slice(0, 8)}
  </MuiLink>
);

const num = (v: unknown, digits = 4) => (typeof v === 'number' ? v.toFixed(digits) : '—');
const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : '—');

/** The tar of a version's PEFT directory: fetched with the bearer token, saved through a blob URL. */
const DownloadButton = ({ adapter, version }: { adapter: string; version: number }) => {
  const notify = useNotify();
  const download = async () => {
    const res = await fetch(`${API_URL}/adapters/${encodeURIComponent(adapter)}/versions/${version}/download`, { headers: { Authorization: `Bearer ${getToken() ?? ''}` } });
    if (!res.ok) {
      notify(`Download failed: HTTP ${res.status}`, { type: 'error' });
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `${adapter}-v${version}.tar`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <Tooltip title="Download the PEFT directory (tar)">
      <IconButton size="small" onClick={download} aria-label={`Download v${version}`} data-testid="download-version">
        <Download fontSize="small" />
      </IconButton>
    </Tooltip>
  );
};

const Header = ({ adapter }: { adapter: AdapterDetail }) => (
  <Facts testId="adapter-header">
    <Fact label="Base model">
      {adapter.baseModelId ? (
        <MuiLink component={Link} to={`/models/${encodeURIComponent(adapter.baseModelId)}/show`}>
          {adapter.baseModel ?? adapter.baseModelId}
        </MuiLink>
      ) : (
        '—'
      )}
    </Fact>
    <Fact label="Versions">{adapter.versions.length}</Fact>
    <Fact label="Stages" testId="adapter-stages">
      <StageChips stages={adapter.stages} />
    </Fact>
    <Fact label="Created">{new Date(adapter.createdAt).toLocaleString()}</Fact>
  </Facts>
);

const Lineage = ({ v }: { v: AdapterVersion }) => {
  const l = v.lineage ?? {};
  return (
    <Stack spacing={0.25} data-testid="version-lineage">
      {l.run && (
        <span>
          run <RunLink id={l.run} />
          {l.pipeline && (
            <>
              {' '}
              · pipeline <RunLink id={l.pipeline} />
            </>
          )}
        </span>
      )}
      {(l.datasetVersions ?? []).length > 0 && (
        <span>
          data{' '}
          {(l.datasetVersions ?? []).map((id) => (
            <VersionLink key={id} id={id} />
          ))}
        </span>
      )}
      {l.evalDatasetVersion && (
        <span>
          eval <VersionLink id={l.evalDatasetVersion} />
        </span>
      )}
      {l.teacherEndpoint && <span>teacher {l.teacherEndpoint.name}</span>}
    </Stack>
  );
};

const Versions = ({ adapter }: { adapter: AdapterDetail }) => {
  if (adapter.versions.length === 0) return <Muted testId="adapter-versions-empty">No versions.</Muted>;
  return (
    <TableContainer>
      <Table size="small" aria-label="Versions" data-testid="adapter-versions">
        <TableHead>
          <TableRow>
            <TableCell>Version</TableCell>
            <TableCell>Stage</TableCell>
            <TableCell align="right">Final loss</TableCell>
            <TableCell align="right">Eval loss</TableCell>
            <TableCell>Evaluation</TableCell>
            <TableCell>Gate</TableCell>
            <TableCell>Lineage</TableCell>
            <TableCell>Hyperparameters</TableCell>
            <TableCell>Created</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {adapter.versions.map((v) => {
            const m = v.metrics ?? {};
            const e = m.evaluation;
            const hp = v.lineage?.hyperparameters;
            const stages = STAGES.filter((s) => adapter.stages?.[s] === v.version);
            return (
              <TableRow key={v.id} data-testid="adapter-version-row" data-version={v.version} sx={{ verticalAlign: 'top' }}>
                <TableCell>
                  <Typography variant="body2" sx={{ fontWeight: 600 }}>
                    v{v.version}
                  </Typography>
                  <Typography variant="caption" sx={{ fontFamily: 'monospace' }} color="text.secondary" title={v.sha256}>
                    {shortSha(v.sha256)}
                  </Typography>
                </TableCell>
                <TableCell>
                  {stages.map((s) => (
                    <Chip key={s} size="small" color={s === 'production' ? 'success' : 'info'} label={s} sx={{ mr: 0.5 }} />
                  ))}
                </TableCell>
                <TableCell align="right">
                  {num(m.finalLoss)}
                  {typeof m.steps === 'number' && (
                    <Typography variant="caption" component="div" color="text.secondary">
                      {m.steps} steps
                    </Typography>
                  )}
                </TableCell>
                <TableCell align="right">
                  {num(m.eval?.loss)}
                  {typeof m.eval?.tokenAccuracy === 'number' && (
                    <Typography variant="caption" component="div" color="text.secondary">
                      acc {pct(m.eval.tokenAccuracy)}
                    </Typography>
                  )}
                </TableCell>
                <TableCell data-testid="version-evaluation">
                  {e ? (
                    <Stack spacing={0.25}>
                      <span>
                        exact {pct(e.scores?.exact)} · contains {pct(e.scores?.contains)}
                      </span>
                      <span>
                        ROUGE-L {num(e.scores?.rougeL, 3)} · JSON {pct(e.scores?.jsonValid)}
                        {typeof e.scores?.regex === 'number' ? ` · regex ${pct(e.scores.regex)}` : ''}
                      </span>
                      <Typography variant="caption" color="text.secondary">
                        as “{e.label}” in <RunLink id={e.runId} label="evaluation" />
                      </Typography>
                    </Stack>
                  ) : (
                    <Typography variant="body2" color="text.secondary">
                      —
                    </Typography>
                  )}
                </TableCell>
                <TableCell>
                  <GateVerdictView gate={v.gate} compact />
                </TableCell>
                <TableCell>
                  <Lineage v={v} />
                </TableCell>
                <TableCell sx={{ fontSize: 12 }}>
                  {hp ? `${hp.method ?? 'lora'} r${hp.rank} α${hp.alpha} · ${hp.steps}×${hp.batchSize} · lr ${hp.lr}` : '—'}
                </TableCell>
                <TableCell>{new Date(v.createdAt).toLocaleString()}</TableCell>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>
                  <DownloadButton adapter={adapter.name} version={v.version} />
                  <PromoteButton adapter={adapter} version={v.version} compact />
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableContainer>
  );
};

/** Two chosen versions' metrics side by side (GET /compare), with b − a. */
const Compare = ({ adapter }: { adapter: AdapterDetail }) => {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const versions = adapter.versions.map((v) => v.version);
  const [a, setA] = useState<number>(versions[1] ?? versions[0]);
  const [b, setB] = useState<number>(versions[0]);
  const { data, error, isPending } = useQuery({
    queryKey: ['adapters', adapter.id, 'compare', a, b],
    queryFn: () => dataProvider.compareAdapterVersions(adapter.id, a, b).then((r) => r.data),
    enabled: versions.length > 0 && a !== undefined && b !== undefined,
  });
  if (versions.length < 2) return <Muted testId="compare-single">Only one version so far: nothing to compare with.</Muted>;
  const lowerIsBetter = (metric: string) => /loss|perplexity/i.test(metric);
  const select = (label: string, value: number, set: (n: number) => void, testId: string) => (
    <TextField select size="small" label={label} value={value} onChange={(e) => set(Number(e.target.value))} sx={{ minWidth: 120 }} slotProps={{ htmlInput: { 'data-testid': testId } }}>
      {versions.map((n) => (
        <MenuItem key={n} value={n}>
          v{n}
        </MenuItem>
      ))}
    </TextField>
  );
  return (
    <Stack spacing={1.5} data-testid="compare-versions">
      <Stack direction="row" spacing={2}>
        {select('A', a, setA, 'compare-a')}
        {select('B', b, setB, 'compare-b')}
      </Stack>
      {error && <Alert severity="error">{(error as Error).message}</Alert>}
      {isPending && !error && <Muted>Loading…</Muted>}
      {data && (
        <TableContainer sx={{ maxHeight: 420 }}>
          <Table size="small" stickyHeader aria-label="Comparison" data-testid="compare-table">
            <TableHead>
              <TableRow>
                <TableCell>Metric</TableCell>
                <TableCell align="right">v{a}</TableCell>
                <TableCell align="right">v{b}</TableCell>
                <TableCell align="right">Δ (B − A)</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {data.metrics.map((m) => {
                const better = m.delta === null || m.delta === 0 ? undefined : lowerIsBetter(m.metric) ? m.delta < 0 : m.delta > 0;
                const fmt = (n: number | null) => (n === null ? '—' : Number.isInteger(n) ? String(n) : n.toFixed(4));
                return (
                  <TableRow key={m.metric} data-testid="compare-row" data-metric={m.metric}>
                    <TableCell sx={{ fontFamily: 'monospace', fontSize: 12 }}>{m.metric}</TableCell>
                    <TableCell align="right">{fmt(m.a)}</TableCell>
                    <TableCell align="right">{fmt(m.b)}</TableCell>
                    <TableCell align="right" sx={{ color: better === undefined || /steps|examples|^n$|\.n$/.test(m.metric) ? undefined : better ? 'success.main' : 'error.main' }}>
                      {m.delta === null ? '—' : `${m.delta > 0 ? '+' : ''}${fmt(m.delta)}`}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Stack>
  );
};

/** The side-by-side report of a version's evaluation run (base / candidate / production / teacher). */
const VersionReport = ({ adapter }: { adapter: AdapterDetail }) => {
  const evaluated = adapter.versions.filter((v) => v.metrics?.evaluation?.runId);
  const [chosen, setChosen] = useState<number | undefined>(evaluated[0]?.version);
  const version = evaluated.find((v) => v.version === chosen) ?? evaluated[0];
  const runId = version?.metrics.evaluation?.runId;
  const { data: run } = useGetOne<Run>('runs', { id: runId ?? '' }, { enabled: !!runId });
  if (evaluated.length === 0) return <Muted testId="evaluation-none">No version has been through an evaluation run yet (a distillation pipeline evaluates its candidate).</Muted>;
  const report = (run?.progress as { report?: Report } | undefined)?.report;
  return (
    <Stack spacing={1.5}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center' }}>
        <TextField select size="small" label="Version" value={version.version} onChange={(e) => setChosen(Number(e.target.value))} sx={{ minWidth: 120 }}>
          {evaluated.map((v) => (
            <MenuItem key={v.id} value={v.version}>
              v{v.version}
            </MenuItem>
          ))}
        </TextField>
        {runId && <RunLink id={runId} label="open the evaluation run" />}
      </Stack>
      <GateVerdictView gate={version.gate} />
      {report ? <EvaluationReport report={report} /> : <Muted>{run ? 'The evaluation run has no report yet.' : 'Loading…'}</Muted>}
    </Stack>
  );
};

const DEPLOYMENT_COLOR = { serving: 'success', loading: 'info', failed: 'error', unloaded: 'default' } as const;

const Deployments = ({ adapter }: { adapter: AdapterDetail }) => {
  if (adapter.deployments.length === 0) return <Muted testId="deployments-empty">Not deployed to any serving endpoint yet.</Muted>;
  const byId = new Map(adapter.versions.map((v) => [v.id, v.version]));
  return (
    <TableContainer>
      <Table size="small" aria-label="Deployments" data-testid="deployments-table">
        <TableHead>
          <TableRow>
            <TableCell>Endpoint</TableCell>
            <TableCell>Stage</TableCell>
            <TableCell>Version</TableCell>
            <TableCell>Served as</TableCell>
            <TableCell>Status</TableCell>
            <TableCell>Updated</TableCell>
            <TableCell>Detail</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {adapter.deployments.map((d) => {
            const f = deploymentFields(d);
            const version = f.versionId ? byId.get(f.versionId) : undefined;
            return (
              <TableRow key={d.id} data-testid="deployment-row" data-endpoint={d.endpoint} data-status={d.status} sx={{ verticalAlign: 'top' }}>
                <TableCell>{d.endpoint}</TableCell>
                <TableCell>{d.stage}</TableCell>
                <TableCell>{version ? `v${version}` : '—'}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace' }}>{f.servedAs}</TableCell>
                <TableCell>
                  <Chip size="small" color={DEPLOYMENT_COLOR[d.status] ?? 'default'} label={d.status} data-testid="deployment-status" data-status={d.status} />
                </TableCell>
                <TableCell>{f.updatedAt ? new Date(f.updatedAt).toLocaleString() : ''}</TableCell>
                <TableCell sx={{ maxWidth: 420 }}>
                  {d.error && (
                    <Typography variant="body2" color="error" sx={{ whiteSpace: 'pre-wrap' }} data-testid="deployment-error">
                      {d.error}
                    </Typography>
                  )}
                  {(d.log ?? []).length > 0 && (
                    <Typography variant="caption" color="text.secondary" component="div" sx={{ fontFamily: 'monospace' }}>
                      {(d.log ?? []).map((s) => (typeof s === 'object' && s ? String(s.step ?? s.name ?? s.action ?? JSON.stringify(s)) : String(s))).join(' → ')}
                    </Typography>
                  )}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableContainer>
  );
};

const ACTION_COLOR = { promote: 'success', rollback: 'warning', failed: 'error' } as const;

const History = ({ adapter }: { adapter: AdapterDetail }) => {
  if (adapter.history.length === 0) return <Muted testId="history-empty">No stage changes yet.</Muted>;
  const byId = new Map(adapter.versions.map((v) => [v.id, v.version]));
  const v = (id: string | null) => (id && byId.has(id) ? `v${byId.get(id)}` : 'none');
  return (
    <TableContainer>
      <Table size="small" aria-label="Stage history" data-testid="history-table">
        <TableHead>
          <TableRow>
            <TableCell>When</TableCell>
            <TableCell>Stage</TableCell>
            <TableCell>Action</TableCell>
            <TableCell>Change</TableCell>
            <TableCell>By</TableCell>
            <TableCell>Detail</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {adapter.history.map((h) => (
            <TableRow key={h.id} data-testid="history-row" data-action={h.action} sx={{ verticalAlign: 'top' }}>
              <TableCell>{new Date(h.at).toLocaleString()}</TableCell>
              <TableCell>{h.stage}</TableCell>
              <TableCell>
                <Chip size="small" variant="outlined" color={ACTION_COLOR[h.action] ?? 'default'} label={h.action} />
              </TableCell>
              <TableCell>
                {v(h.fromVersionId)} → {v(h.toVersionId)}
              </TableCell>
              <TableCell>{h.actor}</TableCell>
              <TableCell sx={{ maxWidth: 420, fontSize: 12 }}>
                {h.detail?.failures
                  ? (h.detail.failures as { endpoint: string; error?: string }[]).map((f) => `${f.endpoint}: ${f.error ?? 'failed'}`).join('; ')
                  : h.detail?.endpoints
                    ? `endpoints: ${(h.detail.endpoints as string[]).join(', ') || 'none'}`
                    : ''}
                {h.detail?.auto ? ' (auto-promoted)' : ''}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
};

const Actions = () => {
  const adapter = useRecordContext<AdapterDetail>();
  if (!adapter?.versions) return <TopToolbar />;
  return (
    <TopToolbar>
      {STAGES.map((s) => (
        <RollbackButton key={s} adapter={adapter} stage={s} />
      ))}
      <PromoteButton adapter={adapter} />
    </TopToolbar>
  );
};

const AdapterDetails = () => {
  const adapter = useRecordContext<AdapterDetail>();
  if (!adapter || !adapter.versions) return null;
  return (
    <Stack spacing={2} sx={{ p: 2 }} data-testid="adapter-details">
      <Header adapter={adapter} />
      <Panel title="Versions">
        <Versions adapter={adapter} />
      </Panel>
      <Panel title="Deployments" testId="deployments-panel">
        <Deployments adapter={adapter} />
      </Panel>
      <Panel title="Compare versions">
        <Compare adapter={adapter} />
      </Panel>
      <Panel title="Evaluation report" testId="evaluation-panel">
        <VersionReport adapter={adapter} />
      </Panel>
      <Panel title="Stage history">
        <History adapter={adapter} />
      </Panel>
      <Box>
        <Typography variant="caption" color="text.secondary">
          Registered <DateField source="createdAt" showTime />
        </Typography>
      </Box>
    </Stack>
  );
};

/** An adapter: stages, versions with metrics, gate and lineage, comparison, evaluation report, deployments, history. */
export const AdapterShow = () => (
  <Show title={<Title />} actions={<Actions />} queryOptions={{ refetchInterval: (q) => ((q.state.data as AdapterDetail | undefined)?.deployments ?? []).some((d) => d.status === 'loading') ? 2000 : false }}>
    <AdapterDetails />
  </Show>
);
