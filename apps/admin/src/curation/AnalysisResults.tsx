import { Alert, Box, Button as MuiButton, Card, CardContent, CircularProgress, Pagination, Stack, Tab, Tabs, Typography } from '@mui/material';
import { useState } from 'react';
import { useDataProvider, useGetList, useNotify, useRefresh } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import type { DatasetRecord, DedupClusters, VersionAnalysis } from '../datasets/types';
import { clip } from './preview';
import { RecordStatusChip } from './RecordStatusChip';

const PER_PAGE = 5;

/** One cluster's records side by side; the first is the one "reject duplicates" keeps. */
const Cluster = ({ versionId, ids, index }: { versionId: string; ids: string[]; index: number }) => {
  const { data, isPending } = useGetList<DatasetRecord>('records', { filter: { versionId, id: ids }, pagination: { page: 1, perPage: ids.length }, sort: { field: 'idx', order: 'ASC' } });
  const byId = new Map((data ?? []).map((r) => [String(r.id), r]));
  return (
    <Box data-testid="dedup-cluster" data-size={ids.length} sx={{ mb: 2 }}>
      <Typography variant="caption" color="text.secondary">
        Cluster {index + 1} · {ids.length} records
      </Typography>
      <Stack direction="row" spacing={1} sx={{ overflowX: 'auto', pb: 1 }}>
        {isPending && <CircularProgress size={20} />}
        {ids.map((id, i) => {
          const r = byId.get(id);
          return (
            <Card key={id} variant="outlined" sx={{ minWidth: 280, maxWidth: 340, flex: '0 0 auto', borderColor: i === 0 ? 'success.main' : undefined }} data-testid="dedup-record">
              <CardContent sx={{ p: 1.5, '&:last-child': { pb: 1.5 } }}>
                <Stack direction="row" spacing={1} sx={{ mb: 0.5, alignItems: 'center' }}>
                  <Typography variant="caption">#{r?.idx ?? id}</Typography>
                  {r && <RecordStatusChip status={r.status} />}
                  <Typography variant="caption" color={i === 0 ? 'success.main' : 'text.secondary'}>
                    {i === 0 ? 'kept' : 'duplicate'}
                  </Typography>
                </Stack>
                {r?.messages.map((m, j) => (
                  <Typography key={j} variant="body2" sx={{ fontSize: 13, mb: 0.5 }}>
                    <b>{m.role}</b> {clip(m.content, 220)}
                  </Typography>
                ))}
              </CardContent>
            </Card>
          );
        })}
      </Stack>
    </Box>
  );
};

const ClusterList = ({ versionId, result }: { versionId: string; result: DedupClusters }) => {
  const [page, setPage] = useState(1);
  if (result.listed.length === 0) return <Typography variant="body2">No clusters.</Typography>;
  const pages = Math.ceil(result.listed.length / PER_PAGE);
  const shown = result.listed.slice((page - 1) * PER_PAGE, page * PER_PAGE);
  return (
    <Box>
      {shown.map((ids, i) => (
        <Cluster key={ids.join(',')} versionId={versionId} ids={ids} index={(page - 1) * PER_PAGE + i} />
      ))}
      {pages > 1 && <Pagination count={pages} page={page} onChange={(_, p) => setPage(p)} size="small" />}
      {result.listed.length < result.clusters && (
        <Typography variant="caption" color="text.secondary">
          The first {result.listed.length.toLocaleString()} of {result.clusters.toLocaleString()} clusters are listed; "reject duplicates" acts on the listed ones.
        </Typography>
      )}
    </Box>
  );
};

const RejectDuplicates = ({ versionId, kind, result }: { versionId: string; kind: 'exact' | 'near'; result: DedupClusters }) => {
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    try {
      const { data } = await dataProvider.rejectDuplicates(versionId, kind);
      notify(`Rejected ${data.updated.toLocaleString()} ${kind} duplicate${data.updated === 1 ? '' : 's'}`, { type: 'success' });
      refresh();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      notify(message, { type: 'error', messageArgs: { _: message } });
    } finally {
      setBusy(false);
    }
  };
  return (
    <MuiButton size="small" variant="outlined" color="warning" disabled={busy || result.duplicates === 0} onClick={go} data-testid={`reject-duplicates-${kind}`}>
      Reject {kind} duplicates ({result.duplicates.toLocaleString()})
    </MuiButton>
  );
};

const Running = ({ what }: { what: string }) => (
  <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
    <CircularProgress size={16} />
    <Typography variant="body2">{what} on a worker…</Typography>
  </Stack>
);

/** Dedup clusters (exact / near) with "reject duplicates", and the PII scrub's counts. */
export const AnalysisResults = ({ versionId, analysis, canCurate }: { versionId: string; analysis: VersionAnalysis | undefined; canCurate: boolean }) => {
  const [tab, setTab] = useState<'exact' | 'near'>('near');
  const { dedup, pii } = analysis ?? {};
  if (!dedup && !pii) return null;
  return (
    <Stack spacing={2} data-testid="analysis-results">
      {pii && (
        <Box data-testid="pii-results" data-status={pii.status}>
          <Typography variant="subtitle2">PII</Typography>
          {pii.status === 'done' && pii.counts ? (
            <Typography variant="body2" data-testid="pii-counts">
              Scrubbed {pii.counts.email} email{pii.counts.email === 1 ? '' : 's'}, {pii.counts.phone} phone number{pii.counts.phone === 1 ? '' : 's'} and{' '}
              {pii.counts.card} card number{pii.counts.card === 1 ? '' : 's'} in {pii.recordsChanged ?? 0} record{pii.recordsChanged === 1 ? '' : 's'}.
            </Typography>
          ) : pii.status === 'failed' ? (
            <Alert severity="error">PII scrubbing failed: {pii.error}</Alert>
          ) : (
            <Running what="Scrubbing PII" />
          )}
        </Box>
      )}
      {dedup && (
        <Box data-testid="dedup-results" data-status={dedup.status}>
          <Typography variant="subtitle2">Duplicates</Typography>
          {dedup.status === 'failed' && <Alert severity="error">Dedup failed: {dedup.error}</Alert>}
          {(dedup.status === 'queued' || dedup.status === 'running') && <Running what="Looking for duplicates" />}
          {dedup.status === 'done' && dedup.exact && dedup.near && (
            <>
              <Stack direction="row" spacing={3} sx={{ my: 1, flexWrap: 'wrap', alignItems: 'center', rowGap: 1 }}>
                <Typography variant="body2" data-testid="dedup-exact-summary">
                  Exact: {dedup.exact.clusters} cluster{dedup.exact.clusters === 1 ? '' : 's'}, {dedup.exact.duplicates} duplicate{dedup.exact.duplicates === 1 ? '' : 's'}
                </Typography>
                {canCurate && <RejectDuplicates versionId={versionId} kind="exact" result={dedup.exact} />}
                <Typography variant="body2" data-testid="dedup-near-summary">
                  Near (≥ {dedup.threshold}): {dedup.near.clusters} cluster{dedup.near.clusters === 1 ? '' : 's'}, {dedup.near.duplicates} duplicate
                  {dedup.near.duplicates === 1 ? '' : 's'}
                </Typography>
                {canCurate && <RejectDuplicates versionId={versionId} kind="near" result={dedup.near} />}
              </Stack>
              <Tabs value={tab} onChange={(_, v) => setTab(v)} sx={{ mb: 1 }}>
                <Tab value="near" label={`Near (${dedup.near.clusters})`} data-testid="dedup-tab-near" />
                <Tab value="exact" label={`Exact (${dedup.exact.clusters})`} data-testid="dedup-tab-exact" />
              </Tabs>
              <ClusterList key={tab} versionId={versionId} result={dedup[tab]!} />
            </>
          )}
        </Box>
      )}
    </Stack>
  );
};
