import Pause from '@mui/icons-material/Pause';
import PlayArrow from '@mui/icons-material/PlayArrow';
import Bolt from '@mui/icons-material/Bolt';
import { useState } from 'react';
import { Button, useCanAccess, useDataProvider, useNotify, useRecordContext, useRefresh, useUpdate } from 'react-admin';
import type { RetortDataProvider } from '../dataProvider';
import type { Schedule } from './types';

const errorMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Pause / resume (operators and admins): `PATCH {enabled}`. */
export const PauseResumeButton = () => {
  const s = useRecordContext<Schedule>();
  const { canAccess } = useCanAccess({ resource: 'schedules', action: 'edit', record: s });
  const notify = useNotify();
  const refresh = useRefresh();
  const [update, { isPending }] = useUpdate<Schedule>();
  if (!s || !canAccess) return null;
  const toggle = () =>
    update(
      'schedules',
      { id: s.id, data: { enabled: !s.enabled }, previousData: s },
      {
        mutationMode: 'pessimistic',
        onSuccess: () => {
          notify(s.enabled ? `Schedule ${s.name} paused` : `Schedule ${s.name} resumed`, { type: 'info' });
          refresh(); // the show page's next fire times and fires come from GET /schedules/:id
        },
        onError: (e) => notify(errorMessage(e), { type: 'error', messageArgs: { _: errorMessage(e) } }),
      },
    );
  return (
    <Button label={s.enabled ? 'Pause' : 'Resume'} onClick={toggle} disabled={isPending} data-testid={s.enabled ? 'pause-schedule' : 'resume-schedule'}>
      {s.enabled ? <Pause /> : <PlayArrow />}
    </Button>
  );
};

/** "Trigger now" (operators and admins): one fire outside the cron; still skipped while the previous run is going. */
export const TriggerButton = () => {
  const s = useRecordContext<Schedule>();
  const { canAccess } = useCanAccess({ resource: 'schedules', action: 'trigger', record: s });
  const dataProvider = useDataProvider<RetortDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [busy, setBusy] = useState(false);
  if (!s || !canAccess) return null;
  const trigger = async () => {
    setBusy(true);
    try {
      await dataProvider.triggerSchedule(s.id);
      notify(`Schedule ${s.name} fires now`, { type: 'info' });
      setTimeout(refresh, 1500);
    } catch (e) {
      notify(errorMessage(e), { type: 'error', messageArgs: { _: errorMessage(e) } });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button label="Trigger now" onClick={trigger} disabled={busy} data-testid="trigger-schedule">
      <Bolt />
    </Button>
  );
};
