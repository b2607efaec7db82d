import { Edit, useNotify, useRecordContext, useRedirect } from 'react-admin';
import { useParams } from 'react-router-dom';
import { endpointBody, EndpointForm } from './EndpointForm';
import type { Endpoint } from './types';

const Title = () => {
  const e = useRecordContext<Endpoint>();
  return <span>Edit endpoint {e?.name ?? ''}</span>;
};

/** PATCH with the changed fields only; the key is sent only when typed or removed. */
export const EndpointEdit = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  const { id = '' } = useParams();
  return (
    <Edit
      title={<Title />}
      mutationMode="pessimistic"
      transform={endpointBody}
      mutationOptions={{
        onSuccess: () => {
          notify('Endpoint saved', { type: 'success' });
          redirect('show', 'endpoints', id);
        },
        onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
      }}
    >
      <EndpointForm editing />
    </Edit>
  );
};
