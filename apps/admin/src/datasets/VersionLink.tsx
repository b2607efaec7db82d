import { Link as MuiLink, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import { useGetOne } from 'react-admin';
import type { Dataset, DatasetVersion } from './types';

export const versionPath = (datasetId: string, versionId: string) => `/datasets/${encodeURIComponent(datasetId)}/versions/${encodeURIComponent(versionId)}`;

/** "support v2", linking to the version's curation page. */
export const VersionLink = ({ id }: { id: string | undefined }) => {
  const { data: version } = useGetOne<DatasetVersion>('dataset-versions', { id: id ?? '' }, { enabled: !!id });
  const { data: dataset } = useGetOne<Dataset>('datasets', { id: version?.datasetId ?? '' }, { enabled: !!version });
  if (!id) return null;
  if (!version) return <Typography variant="body2" component="span" sx={{ fontFamily: 'monospace' }}>{id}</Typography>;
  return (
    <MuiLink component={Link} to={versionPath(version.datasetId, version.id)} data-testid="version-link">
      {dataset?.name ?? 'dataset'} v{version.version}
    </MuiLink>
  );
};
