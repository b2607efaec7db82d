import Schedule from '@mui/icons-material/Schedule';
import { ScheduleCreate } from './ScheduleCreate';
import { ScheduleEdit } from './ScheduleEdit';
import { ScheduleList } from './ScheduleList';
import { ScheduleShow } from './ScheduleShow';

export type { Schedule } from './types';

export default {
  list: ScheduleList,
  show: ScheduleShow,
  create: ScheduleCreate,
  edit: ScheduleEdit,
  icon: Schedule,
};
