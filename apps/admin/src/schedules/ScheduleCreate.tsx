import { Create, useNotify, useRedirect } from 'react-admin';
import { SCHEDULE_DEFAULTS, scheduleBody } from './body';
import { ScheduleForm } from './ScheduleForm';

export const ScheduleCreate = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  return (
    <Create
      title="New schedule"
      transform={scheduleBody}
      mutationOptions={{
        onSuccess: (s: { id: string; name: string }) => {
          notify(`Schedule ${s.name} created`, { type: 'success' });
          redirect('show', 'schedules', s.id);
        },
        onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
      }}
    >
      <ScheduleForm defaultValues={SCHEDULE_DEFAULTS} />
    </Create>
  );
};
