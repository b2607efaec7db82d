import { Edit, useRecordContext } from 'react-admin';
import { scheduleBody } from './body';
import { ScheduleForm } from './ScheduleForm';
import type { Schedule } from './types';

const Title = () => {
  const s = useRecordContext<Schedule>();
  return <span>Edit schedule {s?.name ?? ''}</span>;
};

/** PATCH with the changed fields only (lib/rest); the name is fixed. */
export const ScheduleEdit = () => (
  <Edit title={<Title />} mutationMode="pessimistic" transform={(data: Record<string, any>) => { const { name: _name, ...rest } = scheduleBody(data); return rest; }} redirect="show">
    <ScheduleForm edit />
  </Edit>
);
