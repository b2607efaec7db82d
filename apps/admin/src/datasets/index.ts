import Dataset from '@mui/icons-material/Storage';
import { DatasetCreate } from './DatasetCreate';
import { DatasetList } from './DatasetList';
import { DatasetShow } from './DatasetShow';

export type { Dataset, DatasetVersion } from './types';

export default {
  list: DatasetList,
  show: DatasetShow,
  create: DatasetCreate,
  icon: Dataset,
  recordRepresentation: 'name',
};
