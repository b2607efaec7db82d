import { Create, useNotify, useRedirect } from 'react-admin';
import { endpointBody, EndpointForm } from './EndpointForm';

/** Admins only (the route checks canAccess "create" on endpoints). */
export const EndpointCreate = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  return (
    <Create
      title="New endpoint"
      transform={endpointBody}
      mutationOptions={{
        onSuccess: (endpoint: { id: string; name: string }) => {
          notify(`Endpoint ${endpoint.name} created`, { type: 'success' });
          redirect('show', 'endpoints', endpoint.id);
        },
        onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
      }}
    >
      <EndpointForm />
    </Create>
  );
};
