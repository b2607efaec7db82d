import { AnswerText } from '../lib/AnswerText';
import { Alert, Box, Chip, Stack, Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Tooltip, Typography } from '@mui/material';
import type { EvaluationReport as Report, GateVerdict, SubjectReport } from './types';

/** The report's rows: model metrics (ours only) and answer scores (everyone, teacher included). */
const ROWS: { key: string; label: string; get: (s: SubjectReport) => number | undefined; format: (n: number) => string; better: 'low' | 'high' }[] = [
  { key: 'loss', label: 'Loss', get: (s) => s.loss, format: (n) => n.toFixed(4), better: 'low' },
  { key: 'perplexity', label: 'Perplexity', get: (s) => s.perplexity, format: (n) => n.toFixed(2), better: 'low' },
  { key: 'tokenAccuracy', label: 'Token accuracy', get: (s) => s.tokenAccuracy, format: pct, better: 'high' },
  { key: 'exact', label: 'Exact match', get: (s) => s.scores?.exact, format: pct, better: 'high' },
  { key: 'contains', label: 'Contains reference', get: (s) => s.scores?.contains, format: pct, better: 'high' },
  { key: 'rougeL', label: 'ROUGE-L', get: (s) => s.scores?.rougeL, format: (n) => n.toFixed(3), better: 'high' },
  { key: 'jsonValid', label: 'Valid JSON', get: (s) => s.scores?.jsonValid, format: pct, better: 'high' },
  { key: 'regex', label: 'Regex match', get: (s) => s.scores?.regex, format: pct, better: 'high' },
];

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

/** Columns in a fixed, readable order: base, candidate, production, other adapters, teacher. */
export function orderSubjects(subjects: SubjectReport[]): SubjectReport[] {
  const rank = (s: SubjectReport) => (s.kind === 'base' ? 0 : s.label === 'candidate' ? 1 : s.label === 'production' ? 2 : s.kind === 'teacher' ? 4 : 3);
  return [...subjects].sort((a, b) => rank(a) - rank(b));
}

const KIND_COLOR = { base: 'default', adapter: 'primary', teacher: 'secondary' } as const;

/**
 * An evaluation run's report side by side: one column per subject (base model, candidate,
 * production, teacher), metrics as rows with the best value in bold, then the sample answers.
 */
export const EvaluationReport = ({ report }: { report: Report }) => {
  const subjects = orderSubjects(report.subjects ?? []);
  const rows = ROWS.filter((r) => subjects.some((s) => typeof r.get(s) === 'number'));
  const samples = subjects[0]?.samples ?? [];
  return (
    <Stack spacing={2} data-testid="evaluation-report" data-subjects={subjects.length}>
      <Typography variant="body2" color="text.secondary">
        {report.n} held-out prompt{report.n === 1 ? '' : 's'} with reference answers
        {report.at ? ` · ${new Date(report.at).toLocaleString()}` : ''}
      </Typography>
      <TableContainer>
        <Table size="small" aria-label="Evaluation metrics" data-testid="evaluation-metrics">
          <TableHead>
            <TableRow>
              <TableCell>Metric</TableCell>
              {subjects.map((s) => (
                <TableCell key={s.label} align="right" data-testid="evaluation-subject" data-label={s.label}>
                  <Chip size="small" variant="outlined" color={KIND_COLOR[s.kind] ?? 'default'} label={s.label} />
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((r) => {
              const values = subjects.map((s) => r.get(s));
              const numbers = values.filter((v): v is number => typeof v === 'number');
              const best = numbers.length > 1 ? (r.better === 'low' ? Math.min(...numbers) : Math.max(...numbers)) : undefined;
              return (
                <TableRow key={r.key} data-testid="evaluation-row" data-metric={r.key}>
                  <TableCell>{r.label}</TableCell>
                  {values.map((v, i) => (
                    <TableCell key={subjects[i].label} align="right" sx={{ fontWeight: v !== undefined && v === best ? 700 : undefined, fontVariantNumeric: 'tabular-nums' }}>
                      {typeof v === 'number' ? r.format(v) : '—'}
                    </TableCell>
                  ))}
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
      </TableContainer>
      {samples.length > 0 && (
        <Box>
          <Typography variant="subtitle2" gutterBottom>
            Sample answers
          </Typography>
          <TableContainer sx={{ maxHeight: 480 }}>
            <Table size="small" stickyHeader aria-label="Sample answers" data-testid="evaluation-samples">
              <TableHead>
                <TableRow>
                  <TableCell sx={{ minWidth: 180 }}>Prompt</TableCell>
                  <TableCell sx={{ minWidth: 160 }}>Reference</TableCell>
                  {subjects.map((s) => (
                    <TableCell key={s.label} sx={{ minWidth: 160 }}>
                      {s.label}
                    </TableCell>
                  ))}
                </TableRow>
              </TableHead>
              <TableBody>
                {samples.map((sample, i) => (
                  <TableRow key={i} data-testid="evaluation-sample" sx={{ verticalAlign: 'top' }}>
                    <TableCell sx={{ whiteSpace: 'pre-wrap' }}>{sample.prompt}</TableCell>
                    <TableCell sx={{ whiteSpace: 'pre-wrap', color: 'text.secondary' }}>{sample.reference}</TableCell>
                    {subjects.map((s) => {
                      const answer = s.samples?.[i]?.answer ?? '';
                      const exact = answer.trim() === sample.reference.trim();
                      return (
                        <TableCell key={s.label} sx={{ whiteSpace: 'pre-wrap', fontFamily: 'monospace', fontSize: 12, bgcolor: exact ? 'success.light' : undefined }}>
                          <AnswerText text={answer} />
                        </TableCell>
                      );
                    })}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </TableContainer>
        </Box>
      )}
    </Stack>
  );
};

/** The promotion gate's verdict: passed or blocked, with each check's sentence. */
export const GateVerdictView = ({ gate, compact = false }: { gate: GateVerdict | null | undefined; compact?: boolean }) => {
  if (!gate) return <Typography variant="body2" color="text.secondary" component="span" data-testid="gate-none">not evaluated</Typography>;
  const chip = <Chip size="small" color={gate.passed ? 'success' : 'error'} label={gate.passed ? 'gate passed' : 'gate blocked'} data-testid="gate-verdict" data-passed={String(gate.passed)} />;
  const sentences = gate.checks?.length ? gate.checks.map((c) => `${c.passed ? '✓' : '✗'} ${c.detail}`) : gate.reasons ?? [];
  if (compact) return <Tooltip title={<Box sx={{ whiteSpace: 'pre-line' }}>{sentences.join('\n') || 'no rules'}</Box>}>{chip}</Tooltip>;
  return (
    <Alert severity={gate.passed ? 'success' : 'warning'} icon={false} data-testid="gate-details">
      {chip}
      <Box component="ul" sx={{ m: 0, mt: 1, pl: 2.5 }}>
        {sentences.map((s, i) => (
          <li key={i} data-testid="gate-reason">
            <Typography variant="body2">{s}</Typography>
          </li>
        ))}
        {sentences.length === 0 && <Typography variant="body2">No gate rules were set.</Typography>}
      </Box>
    </Alert>
  );
};
