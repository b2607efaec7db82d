import simpleRestProvider from 'ra-data-simple-rest';
import { HttpError, type DataProvider, type Identifier } from 'react-admin';
import type { DatasetVersion } from './datasets/types';
import { httpClient as defaultHttpClient, type HttpClient } from './lib/httpClient';
import { API_URL } from './lib/me';
import { fieldErrorMap, problemErrors } from './lib/problem';
import { withActions, withPatchUpdates, withVersionRecords, type RetortActions } from './lib/rest';
import { uploadFile, type UploadOptions } from './lib/upload';

export { changedFields, cleanFilter, withActions, withPatchUpdates, withVersionRecords } from './lib/rest';
export type { AnalyzeParams, BulkRecordsParams, CommitParams, RetortActions, SplitParams } from './lib/rest';

export interface UploadVersionParams {
  file: Blob;
  /** A registered model (name or id) whose tokenizer counts tokens (stats.tokens, the histogram). */
  model?: string;
  onProgress?: UploadOptions['onProgress'];
  signal?: AbortSignal;
}

/** The calls the console makes beyond react-admin's CRUD verbs. */
export interface RetortDataProvider extends DataProvider, RetortActions {
  /** `POST /datasets/:id/versions` with the JSONL as the raw body; 201 with the new version. */
  uploadDatasetVersion(id: Identifier, params: UploadVersionParams): Promise<{ data: DatasetVersion }>;
}

/** Adds the dataset upload to a data provider (raw JSONL body, with upload progress). */
export function withDatasetUploads<T extends DataProvider>(base: T, apiUrl: string): T & Pick<RetortDataProvider, 'uploadDatasetVersion'> {
  return {
    ...base,
    async uploadDatasetVersion(id: Identifier, { file, model, onProgress, signal }: UploadVersionParams) {
      const query = new URLSearchParams();
      if (file instanceof File) query.set('filename', file.name);
      if (model) query.set('model', model);
      const qs = query.toString();
      const url = `${apiUrl}/datasets/${encodeURIComponent(String(id))}/versions${qs ? `?${qs}` : ''}`;
      const data = await uploadFile(url, file, { contentType: 'application/x-ndjson', onProgress, signal });
      return { data: data as DatasetVersion };
    },
  };
}

/**
 * Form submissions: a problem's `errors: [{path, message}]` becomes react-admin's
 * `body.errors: {field: message}`, so each message shows under its input.
 */
export function withFormErrors<T extends DataProvider>(base: T): T {
  const mapErrors = (error: unknown): never => {
    if (error instanceof HttpError) {
      const fields = fieldErrorMap(problemErrors(error.body));
      if (Object.keys(fields).length > 0) {
        throw new HttpError(error.message, error.status, { ...error.body, problemErrors: error.body.errors, errors: fields });
      }
    }
    throw error;
  };
  return {
    ...base,
    create: (resource, params) => base.create(resource, params).catch(mapErrors),
    update: (resource, params) => base.update(resource, params).catch(mapErrors),
  };
}

/**
 * simple-rest on /api/v1 (Content-Range pagination), bearer token, problem+json errors; PATCH
 * updates, records under their version, uploads, and the curation and run actions.
 */
export function createDataProvider(apiUrl: string = API_URL, http: HttpClient = defaultHttpClient): RetortDataProvider {
  const rest = withVersionRecords(withPatchUpdates(simpleRestProvider(apiUrl, http), apiUrl, http));
  return withActions(withDatasetUploads(withFormErrors(rest), apiUrl), apiUrl, http);
}

export const dataProvider: RetortDataProvider = createDataProvider();
