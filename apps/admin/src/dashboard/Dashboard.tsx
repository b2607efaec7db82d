import { Box, Card, CardContent, Link as MuiLink, Stack, Table, TableBody, TableCell, TableHead, TableRow, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import { Title, useGetList } from 'react-admin';
import type { Adapter } from '../adapters/types';
import { Muted } from '../lib/panels';
import { elapsedMs, formatDuration } from '../lib/time';
import { RunProgress } from '../runs/RunProgress';
import { RunStatusChip } from '../runs/RunStatusChip';
import type { Run } from '../runs/types';
import { formatInZone } from '../schedules/cron';
import type { Schedule } from '../schedules/types';
import { upcomingFires } from './nextFires';

const RECENT_RUNS = 8;
const UPCOMING = 5;
const POLL_MS = 5000;

const Section = ({ title, to, testId, children }: { title: string; to: string; testId: string; children: React.ReactNode }) => (
  <Card variant="outlined" data-testid={testId} sx={{ minWidth: 0 }}>
    <CardContent>
      <Stack direction="row" sx={{ justifyContent: 'space-between', alignItems: 'baseline', mb: 1 }}>
        <Typography variant="subtitle1">{title}</Typography>
        <MuiLink component={Link} to={to} variant="body2">
          all
        </MuiLink>
      </Stack>
      {children}
    </CardContent>
  </Card>
);

const runLink = (r: Run) => `/runs/${encodeURIComponent(r.id)}/show`;

const RecentRuns = () => {
  const { data = [], isPending } = useGetList<Run>('runs', { filter: { parentId: null }, sort: { field: 'createdAt', order: 'DESC' }, pagination: { page: 1, perPage: RECENT_RUNS } }, { refetchInterval: POLL_MS });
  if (!isPending && data.length === 0) return <Muted testId="home-runs-empty">No runs yet.</Muted>;
  return (
    <Table size="small" aria-label="Recent runs">
      <TableHead>
        <TableRow>
          <TableCell>Status</TableCell>
          <TableCell>Kind</TableCell>
          <TableCell>Adapter</TableCell>
          <TableCell>Progress</TableCell>
          <TableCell>Duration</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {data.map((r) => (
          <TableRow key={r.id} data-testid="home-run" data-kind={r.kind} data-status={r.status}>
            <TableCell>
              <RunStatusChip status={r.status} error={r.error} />
            </TableCell>
            <TableCell>
              <MuiLink component={Link} to={runLink(r)}>
                {r.kind}
              </MuiLink>
            </TableCell>
            <TableCell>{String(r.config?.adapterName ?? '')}</TableCell>
            <TableCell>
              <RunProgress run={r} />
            </TableCell>
            <TableCell>{formatDuration(elapsedMs(r.startedAt, r.finishedAt))}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
};

const ProductionAdapters = () => {
  // The list carries each adapter's stages; the API has no stage filter, so pick production here.
  const { data = [], isPending } = useGetList<Adapter>('adapters', { sort: { field: 'name', order: 'ASC' }, pagination: { page: 1, perPage: 100 } });
  const live = data.filter((a) => typeof a.stages?.production === 'number');
  if (!isPending && live.length === 0) return <Muted testId="home-production-empty">No adapter is in production yet.</Muted>;
  return (
    <Table size="small" aria-label="Production adapters">
      <TableHead>
        <TableRow>
          <TableCell>Adapter</TableCell>
          <TableCell>Base model</TableCell>
          <TableCell>Production</TableCell>
          <TableCell>Latest</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {live.map((a) => (
          <TableRow key={a.id} data-testid="home-production-adapter" data-name={a.name}>
            <TableCell>
              <MuiLink component={Link} to={`/adapters/${encodeURIComponent(a.id)}/show`}>
                {a.name}
              </MuiLink>
            </TableCell>
            <TableCell>{a.baseModel ?? '—'}</TableCell>
            <TableCell>v{a.stages.production}</TableCell>
            <TableCell>{a.latestVersion ? `v${a.latestVersion}` : '—'}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
};

const NextFires = () => {
  const { data = [], isPending } = useGetList<Schedule>('schedules', { sort: { field: 'name', order: 'ASC' }, pagination: { page: 1, perPage: 100 } });
  const fires = upcomingFires(data, UPCOMING);
  if (!isPending && fires.length === 0) return <Muted testId="home-fires-empty">No schedule is enabled.</Muted>;
  return (
    <Table size="small" aria-label="Next schedule fires">
      <TableHead>
        <TableRow>
          <TableCell>Schedule</TableCell>
          <TableCell>Next fire</TableCell>
          <TableCell>Adapter</TableCell>
        </TableRow>
      </TableHead>
      <TableBody>
        {fires.map(({ schedule: s, at }) => (
          <TableRow key={s.id} data-testid="home-fire" data-name={s.name} data-iso={at.toISOString()}>
            <TableCell>
              <MuiLink component={Link} to={`/schedules/${encodeURIComponent(s.id)}/show`}>
                {s.name}
              </MuiLink>
            </TableCell>
            <TableCell>{formatInZone(at, s.timezone)}</TableCell>
            <TableCell>{s.template.adapter}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
};

/** The home page: what ran lately, what serves in production, and what fires next. */
export const Dashboard = () => (
  <Box sx={{ p: 2 }} data-testid="home">
    <Title title="Retort" />
    <Stack spacing={2}>
      <Section title="Recent runs" to="/runs" testId="home-runs">
        <RecentRuns />
      </Section>
      <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: { xs: '1fr', md: '1fr 1fr' } }}>
        <Section title="Production adapters" to="/adapters" testId="home-production">
          <ProductionAdapters />
        </Section>
        <Section title="Next schedule fires" to="/schedules" testId="home-fires">
          <NextFires />
        </Section>
      </Box>
    </Stack>
  </Box>
);
