import { required, SelectInput, useGetList } from 'react-admin';

/**
 * A select whose value is a record's name (schedule templates name their data sets, teacher and
 * student): choices from `GET /<resource>`. Not a ReferenceInput, which would look the value up as an id.
 */
export const NameSelect = ({ source, resource, label, filter, helperText, optional = false }: { source: string; resource: string; label: string; filter?: Record<string, unknown>; helperText?: string; optional?: boolean }) => {
  const { data, isPending } = useGetList<{ id: string; name: string }>(resource, { pagination: { page: 1, perPage: 100 }, sort: { field: 'name', order: 'ASC' }, filter: filter ?? {} });
  return (
    <SelectInput
      source={source}
      label={label}
      choices={(data ?? []).map((r) => ({ id: r.name, name: r.name }))}
      isPending={isPending}
      validate={optional ? undefined : required()}
      helperText={helperText}
      sx={{ minWidth: 220 }}
    />
  );
};
