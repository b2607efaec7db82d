import { Table, TableBody, TableCell, TableContainer, TableHead, TableRow, Typography } from '@mui/material';
import type { FieldError } from '@retort/contracts';

/** The per-line problems of a rejected upload (a 422's `errors`), as line / path / message. */
export const UploadErrors = ({ errors, total }: { errors: FieldError[]; total?: number }) => (
  <>
    <TableContainer sx={{ maxHeight: 280, border: 1, borderColor: 'divider', borderRadius: 1 }}>
      <Table size="small" stickyHeader data-testid="upload-errors" aria-label="Upload errors">
        <TableHead>
          <TableRow>
            <TableCell sx={{ width: 72 }}>Line</TableCell>
            <TableCell sx={{ width: 200 }}>Path</TableCell>
            <TableCell>Message</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {errors.map((e, i) => (
            <TableRow key={i} data-testid="upload-error-row">
              <TableCell>{e.line ?? ''}</TableCell>
              <TableCell sx={{ fontFamily: 'monospace', wordBreak: 'break-all' }}>{e.path}</TableCell>
              <TableCell>{e.message}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
    {total !== undefined && total > errors.length && (
      <Typography variant="caption" color="text.secondary">
        Showing the first {errors.length} of {total.toLocaleString()} errors.
      </Typography>
    )}
  </>
);
