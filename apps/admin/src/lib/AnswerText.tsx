import { Typography } from '@mui/material';
import { blankMarker } from './blank';

/**
 * A model's or a record's answer, or a muted marker when it is empty or only whitespace. `shown`
 * is what to print instead of the text when it has content (e.g. a clipped one-line preview).
 */
export const AnswerText = ({ text, shown }: { text: string | null | undefined; shown?: string }) => {
  const marker = blankMarker(text);
  if (marker === null) return <>{shown ?? text}</>;
  return (
    <Typography component="span" variant="caption" color="text.disabled" sx={{ fontStyle: 'italic', whiteSpace: 'nowrap' }} data-testid="blank-answer">
      {marker}
    </Typography>
  );
};
