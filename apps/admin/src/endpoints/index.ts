import Hub from '@mui/icons-material/Hub';
import { EndpointCreate } from './EndpointCreate';
import { EndpointEdit } from './EndpointEdit';
import { EndpointList } from './EndpointList';
import { EndpointShow } from './EndpointShow';

export type { Endpoint } from './types';

export default {
  list: EndpointList,
  show: EndpointShow,
  create: EndpointCreate,
  edit: EndpointEdit,
  icon: Hub,
  recordRepresentation: 'name',
};
