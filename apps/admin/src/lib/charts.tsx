import { Box, Stack, Typography, useTheme } from '@mui/material';
import { formatTick, linearScale, niceTicks } from './chartMath';

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
  color?: string;
  /** Draw each point as a dot (sparse series, e.g. eval loss), not only a line. */
  dots?: boolean;
}

const W = 640;
const H = 240;
const M = { top: 12, right: 16, bottom: 36, left: 52 };

/**
 * A line chart in plain SVG: shared axes for every series, nice ticks, a legend. `data-points`
 * on the root counts the points drawn (browser tests wait on it).
 */
export function LineChart({ series, xLabel, yLabel, testId, ariaLabel }: { series: Series[]; xLabel: string; yLabel: string; testId?: string; ariaLabel?: string }) {
  const theme = useTheme();
  const palette = [theme.palette.primary.main, theme.palette.secondary.main, theme.palette.success.main];
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = niceTicks(Math.min(...all.map((p) => p.x), 0), Math.max(...all.map((p) => p.x), 1), 6);
  const ys = all.length ? niceTicks(Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y)), 4) : [0, 1];
  const x = linearScale(xs[0], xs[xs.length - 1], M.left, W - M.right);
  const y = linearScale(ys[0], ys[ys.length - 1], H - M.bottom, M.top);
  const axis = theme.palette.text.secondary;
  const grid = theme.palette.divider;

  return (
    <Box data-testid={testId} data-points={all.length} sx={{ width: '100%', maxWidth: 900 }}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={ariaLabel ?? yLabel} style={{ display: 'block' }}>
        {ys.map((t) => (
          <g key={`y${t}`}>
            <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} stroke={grid} />
            <text x={M.left - 6} y={y(t)} textAnchor="end" dominantBaseline="middle" fontSize={11} fill={axis}>
              {formatTick(t)}
            </text>
          </g>
        ))}
        {xs.map((t) => (
          <text key={`x${t}`} x={x(t)} y={H - M.bottom + 16} textAnchor="middle" fontSize={11} fill={axis}>
            {formatTick(t)}
          </text>
        ))}
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke={axis} />
        <text x={(M.left + W - M.right) / 2} y={H - 4} textAnchor="middle" fontSize={12} fill={axis}>
          {xLabel}
        </text>
        <text x={12} y={(M.top + H - M.bottom) / 2} textAnchor="middle" fontSize={12} fill={axis} transform={`rotate(-90 12 ${(M.top + H - M.bottom) / 2})`}>
          {yLabel}
        </text>
        {series.map((s, i) => {
          const color = s.color ?? palette[i % palette.length];
          const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
          return (
            <g key={s.name} data-series={s.name}>
              {pts.length > 1 && <polyline fill="none" stroke={color} strokeWidth={1.8} points={pts.map((p) => `${x(p.x)},${y(p.y)}`).join(' ')} />}
              {(s.dots || pts.length === 1) &&
                pts.map((p) => (
                  <circle key={p.x} cx={x(p.x)} cy={y(p.y)} r={3.5} fill={color}>
                    <title>{`${s.name} at ${p.x}: ${formatTick(p.y)}`}</title>
                  </circle>
                ))}
            </g>
          );
        })}
      </svg>
      <Stack direction="row" spacing={2} sx={{ pl: `${(M.left / W) * 100}%` }}>
        {series.map((s, i) => (
          <Stack key={s.name} direction="row" spacing={0.75} sx={{ alignItems: 'center' }}>
            <Box sx={{ width: 14, height: 3, bgcolor: s.color ?? palette[i % palette.length] }} />
            <Typography variant="caption" color="text.secondary">
              {s.name} ({s.points.length})
            </Typography>
          </Stack>
        ))}
      </Stack>
    </Box>
  );
}

/** A histogram: bars over [edges[i], edges[i+1]), labelled with the bin's range. */
export function HistogramChart({ edges, counts, xLabel, testId }: { edges: number[]; counts: number[]; xLabel: string; testId?: string }) {
  const theme = useTheme();
  const max = Math.max(1, ...counts);
  const ys = niceTicks(0, max, 4);
  const y = linearScale(0, ys[ys.length - 1], H - M.bottom, M.top);
  const band = (W - M.left - M.right) / Math.max(1, counts.length);
  const axis = theme.palette.text.secondary;
  return (
    <Box data-testid={testId} data-bins={counts.length} sx={{ width: '100%', maxWidth: 700 }}>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={`${xLabel} histogram`} style={{ display: 'block' }}>
        {ys.map((t) => (
          <g key={t}>
            <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} stroke={theme.palette.divider} />
            <text x={M.left - 6} y={y(t)} textAnchor="end" dominantBaseline="middle" fontSize={11} fill={axis}>
              {formatTick(t)}
            </text>
          </g>
        ))}
        {counts.map((c, i) => (
          <g key={i}>
            <rect x={M.left + i * band + 2} width={Math.max(1, band - 4)} y={y(c)} height={H - M.bottom - y(c)} fill={theme.palette.primary.main}>
              <title>{`[${edges[i]}, ${edges[i + 1]}): ${c}`}</title>
            </rect>
            <text x={M.left + (i + 0.5) * band} y={H - M.bottom + 14} textAnchor="middle" fontSize={10} fill={axis}>
              {counts.length <= 16 || i % 2 === 0 ? `${formatTick(edges[i])}–${formatTick(edges[i + 1])}` : ''}
            </text>
          </g>
        ))}
        <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} stroke={axis} />
        <text x={(M.left + W - M.right) / 2} y={H - 4} textAnchor="middle" fontSize={12} fill={axis}>
          {xLabel}
        </text>
      </svg>
    </Box>
  );
}
