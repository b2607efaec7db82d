import { Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from '@mui/material';
import { describeEvent } from './metrics';
import type { RunEvent } from './types';

const LEVEL_COLOR = { debug: 'text.disabled', info: 'text.primary', warn: 'warning.main', error: 'error.main' } as const;

/**
 * Messages always; metrics lines too, newest first, the last 200. With `stepOf`, a Step column
 * names the run each event came from (a pipeline's log holds its steps' events).
 */
export const EventLog = ({ events, stepOf }: { events: RunEvent[]; stepOf?: (e: RunEvent) => string }) => {
  const shown = events.slice(-200).reverse();
  if (shown.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" data-testid="events-empty">
        No events yet.
      </Typography>
    );
  }
  return (
    <TableContainer sx={{ maxHeight: 360 }}>
      <Table size="small" stickyHeader data-testid="events-log" aria-label="Events">
        <TableHead>
          <TableRow>
            <TableCell sx={{ width: 180 }}>Time</TableCell>
            {stepOf && <TableCell sx={{ width: 140 }}>Step</TableCell>}
            <TableCell sx={{ width: 70 }}>Level</TableCell>
            <TableCell sx={{ width: 80 }}>Type</TableCell>
            <TableCell>Event</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {shown.map((e) => (
            <TableRow key={`${e.runId}:${e.id}`} data-testid="event-row" data-type={e.type} data-step={stepOf?.(e)}>
              <TableCell>{new Date(e.at).toLocaleTimeString()}</TableCell>
              {stepOf && <TableCell>{stepOf(e)}</TableCell>}
              <TableCell sx={{ color: LEVEL_COLOR[e.level] }}>{e.level}</TableCell>
              <TableCell>{e.type}</TableCell>
              <TableCell sx={{ color: LEVEL_COLOR[e.level], fontFamily: e.type === 'metrics' ? 'monospace' : undefined, fontSize: 13, overflowWrap: 'anywhere' }}>{describeEvent(e)}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
};
