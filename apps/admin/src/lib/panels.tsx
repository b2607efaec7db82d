import { Box, Card, CardContent, Stack, Typography } from '@mui/material';

/** A labelled value in a row of facts (run summary, adapter header, schedule). */
export const Fact = ({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) => (
  <Box data-testid={testId}>
    <Typography variant="caption" color="text.secondary" component="div">
      {label}
    </Typography>
    <Typography variant="body2" component="div">
      {children}
    </Typography>
  </Box>
);

export const Facts = ({ children, testId }: { children: React.ReactNode; testId?: string }) => (
  <Stack direction="row" spacing={3} sx={{ flexWrap: 'wrap', rowGap: 1.5, alignItems: 'flex-start' }} data-testid={testId}>
    {children}
  </Stack>
);

/** An outlined card with a title: one section of a detail page. */
export const Panel = ({ title, children, testId, action }: { title: string; children: React.ReactNode; testId?: string; action?: React.ReactNode }) => (
  <Card variant="outlined" data-testid={testId}>
    <CardContent>
      <Stack direction="row" sx={{ alignItems: 'center', justifyContent: 'space-between', mb: 1 }}>
        <Typography variant="subtitle1">{title}</Typography>
        {action}
      </Stack>
      {children}
    </CardContent>
  </Card>
);

export const Muted = ({ children, testId }: { children: React.ReactNode; testId?: string }) => (
  <Typography variant="body2" color="text.secondary" data-testid={testId}>
    {children}
  </Typography>
);
