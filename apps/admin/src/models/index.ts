import Memory from '@mui/icons-material/Memory';
import { ModelCreate } from './ModelCreate';
import { ModelList } from './ModelList';
import { ModelShow } from './ModelShow';

export type { BaseModel } from './types';

export default {
  list: ModelList,
  show: ModelShow,
  create: ModelCreate,
  icon: Memory,
  recordRepresentation: 'name',
};
