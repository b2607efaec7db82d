import { Create, maxLength, regex, required, SimpleForm, TextInput, useNotify, useRedirect } from 'react-admin';

const validateName = [required(), maxLength(100), regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'Letters, digits, ".", "_" and "-", starting with a letter or digit')];

/** `POST /models {name, path}`: the API reads config.json there to check the family (llama, qwen2). */
export const ModelCreate = () => {
  const notify = useNotify();
  const redirect = useRedirect();
  return (
    <Create
      title="Register a base model"
      mutationOptions={{
        onSuccess: (model: { id: string; name: string }) => {
          notify(`Model ${model.name} registered`, { type: 'success' });
          redirect('show', 'models', model.id);
        },
        onError: (error: Error) => notify(error.message, { type: 'error', messageArgs: { _: error.message } }),
      }}
    >
      <SimpleForm data-testid="model-create-form">
        <TextInput source="name" label="Name" validate={validateName} autoFocus helperText="e.g. qwen2.5-7b-instruct" />
        <TextInput
          source="path"
          label="Path"
          validate={required()}
          fullWidth
          helperText="A Hugging Face layout directory (config.json, *.safetensors, tokenizer.json) that the API and every worker can read"
        />
      </SimpleForm>
    </Create>
  );
};
