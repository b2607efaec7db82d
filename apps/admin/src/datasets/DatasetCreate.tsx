import { Create, required, maxLength, regex, SimpleForm, TextInput, useNotify } from 'react-admin';

// The API's rule (contracts CreateDatasetSchema), checked here first to save a round trip.
const validateName = [
  required(),
  maxLength(100),
  regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'Letters, digits, ".", "_" and "-", starting with a letter or digit'),
];

export const DatasetCreate = () => {
  const notify = useNotify();
  return (
    <Create
      title="New dataset"
      redirect="show"
      // Field errors land under their inputs; the problem's detail still goes to a notification.
      mutationOptions={{ onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }) }}
    >
      <SimpleForm data-testid="dataset-create-form">
        <TextInput source="name" label="Name" validate={validateName} autoFocus helperText="e.g. support-chats" />
        <TextInput source="description" label="Description" multiline minRows={2} validate={maxLength(2000)} />
      </SimpleForm>
    </Create>
  );
};
