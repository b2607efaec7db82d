import ModelTraining from '@mui/icons-material/ModelTraining';
import { RunCreate } from './RunCreate';
import { RunList } from './RunList';
import { RunShow } from './RunShow';

export type { Run, RunEvent, Checkpoint } from './types';

export default {
  list: RunList,
  show: RunShow,
  create: RunCreate,
  icon: ModelTraining,
};
