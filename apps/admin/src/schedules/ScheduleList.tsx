import Schedule from '@mui/icons-material/Schedule';
import { Box, Chip, Typography } from '@mui/material';
import { CreateButton, DataTable, DateField, List, TopToolbar } from 'react-admin';
import { previewCron } from './cron';
import type { Schedule as ScheduleRecord } from './types';

const ListActions = () => (
  <TopToolbar>
    <CreateButton label="New schedule" aria-label="New schedule" data-testid="create-schedule" />
  </TopToolbar>
);

const Empty = () => (
  <Box sx={{ textAlign: 'center', mt: 8, mx: 'auto', maxWidth: 520 }} data-testid="schedules-empty">
    <Schedule sx={{ fontSize: 72, color: 'text.disabled' }} />
    <Typography variant="h6" gutterBottom>
      No schedules yet
    </Typography>
    <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
      A schedule reruns a distillation pipeline on the latest data on a cron (monthly by default), gates the new adapter against production
      and can promote it.
    </Typography>
    <CreateButton variant="contained" label="New schedule" aria-label="New schedule" data-testid="create-schedule" />
  </Box>
);

export const EnabledChip = ({ enabled }: { enabled: boolean }) => (
  <Chip size="small" color={enabled ? 'success' : 'default'} variant={enabled ? 'filled' : 'outlined'} label={enabled ? 'active' : 'paused'} data-testid="schedule-state" data-enabled={String(enabled)} />
);

export const ScheduleList = () => (
  <List title="Schedules" sort={{ field: 'name', order: 'ASC' }} perPage={25} actions={<ListActions />} empty={<Empty />} exporter={false}>
    <DataTable<ScheduleRecord> rowClick="show" bulkActionButtons={false} data-testid="schedules-grid" aria-label="Schedules">
      <DataTable.Col source="name" label="Name" render={(s) => <span data-testid="schedule-name">{s.name}</span>} />
      <DataTable.Col source="enabled" label="State" disableSort render={(s) => <EnabledChip enabled={s.enabled} />} />
      <DataTable.Col
        source="cron"
        label="When"
        disableSort
        render={(s) => (
          <span>
            <Typography component="span" variant="body2" sx={{ fontFamily: 'monospace', mr: 1 }}>
              {s.cron}
            </Typography>
            <Typography component="span" variant="body2" color="text.secondary">
              {previewCron(s.cron, s.timezone, 0).description ?? ''} ({s.timezone})
            </Typography>
          </span>
        )}
      />
      <DataTable.Col source="template.adapter" label="Adapter" disableSort />
      <DataTable.Col source="autoPromote" label="Auto-promote" disableSort render={(s) => (s.autoPromote ? 'yes' : 'no')} />
      <DataTable.Col source="lastFiredAt" label="Last fired">
        <DateField source="lastFiredAt" showTime emptyText="never" />
      </DataTable.Col>
    </DataTable>
  </List>
);
