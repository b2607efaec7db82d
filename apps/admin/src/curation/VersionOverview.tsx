import { Box, Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import type { DatasetVersion, RecordStatus } from '../datasets/types';
import { HistogramChart } from '../lib/charts';

const Count = ({ status, n }: { status: RecordStatus | 'all'; n: number | null }) => (
  <Box data-testid={`count-${status}`} data-count={n ?? ''}>
    <Typography variant="caption" color="text.secondary" component="div">
      {status === 'all' ? 'records' : status}
    </Typography>
    <Typography variant="h6">{n === null ? '…' : n.toLocaleString()}</Typography>
  </Box>
);

/** Live status counts, the tags as uploaded, and the token-length histogram when tokens were counted. */
export const VersionOverview = ({ version, counts }: { version: DatasetVersion; counts: Record<RecordStatus | 'all', number | null> }) => {
  const stats = version.stats;
  const tags = Object.entries(stats?.tags ?? {}).sort((a, b) => b[1] - a[1]);
  const hist = stats?.tokens?.histogram;
  return (
    <Stack direction={{ xs: 'column', lg: 'row' }} spacing={2} sx={{ alignItems: 'stretch' }}>
      <Card variant="outlined" sx={{ flex: 1 }}>
        <CardContent>
          <Typography variant="subtitle1" gutterBottom>
            Curation
          </Typography>
          <Stack direction="row" spacing={3} data-testid="status-counts">
            <Count status="all" n={counts.all} />
            <Count status="pending" n={counts.pending} />
            <Count status="accepted" n={counts.accepted} />
            <Count status="rejected" n={counts.rejected} />
          </Stack>
          {stats && (
            <Typography variant="caption" color="text.secondary" component="div" sx={{ mt: 1 }}>
              {stats.turns.toLocaleString()} turns · {stats.messages.toLocaleString()} messages · chars {stats.chars.min.toLocaleString()}–{stats.chars.max.toLocaleString()} (mean{' '}
              {Math.round(stats.chars.mean).toLocaleString()})
              {stats.duplicates ? ` · ${stats.duplicates.exact.toLocaleString()} exact duplicates on upload` : ''}
            </Typography>
          )}
          <Typography variant="subtitle2" sx={{ mt: 2 }}>
            Tags (as uploaded)
          </Typography>
          {tags.length === 0 ? (
            <Typography variant="body2" color="text.secondary">
              None.
            </Typography>
          ) : (
            <Stack direction="row" spacing={0.5} sx={{ flexWrap: 'wrap', rowGap: 0.5 }} data-testid="tag-counts">
              {tags.map(([tag, n]) => (
                <Chip key={tag} size="small" label={`${tag} ${n.toLocaleString()}`} />
              ))}
            </Stack>
          )}
        </CardContent>
      </Card>
      <Card variant="outlined" sx={{ flex: 1.4 }}>
        <CardContent>
          <Typography variant="subtitle1" gutterBottom>
            Token lengths
          </Typography>
          {stats?.tokens && hist && hist.counts.length > 0 ? (
            <>
              <Typography variant="caption" color="text.secondary" component="div">
                {stats.tokens.min.toLocaleString()}–{stats.tokens.max.toLocaleString()} tokens per record, mean {stats.tokens.mean.toLocaleString()}, total{' '}
                {stats.tokens.total.toLocaleString()}
              </Typography>
              <HistogramChart edges={hist.edges} counts={hist.counts} xLabel="tokens per record" testId="token-histogram" />
            </>
          ) : (
            <Typography variant="body2" color="text.secondary" data-testid="token-histogram-none">
              Not counted: upload with a registered model (its tokenizer counts tokens) to see the token-length histogram.
            </Typography>
          )}
        </CardContent>
      </Card>
    </Stack>
  );
};
