import Extension from '@mui/icons-material/Extension';
import { AdapterList } from './AdapterList';
import { AdapterShow } from './AdapterShow';

export type { Adapter, AdapterDetail, AdapterVersion } from './types';

export default {
  list: AdapterList,
  show: AdapterShow,
  icon: Extension,
};
