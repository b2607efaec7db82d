/** Errors in OpenAI's shape: `{error: {message, type, param, code}}` with an HTTP status. */

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = status === 404 ? 'NotFoundError' : status >= 500 ? 'server_error' : 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 for a request field: the message names the field. */
export function badField(param: string, message: string): ApiError {
  return new ApiError(400, `${param}: ${message}`, 'invalid_request_error', param);
}

export function modelNotFound(model: string): ApiError {
  return new ApiError(404, `The model \`${model}\` does not exist.`, 'NotFoundError', 'model', 'model_not_found');
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // express.json() failures carry a status (400 for malformed JSON, 413 for a body that is too large).
  const status = (err as { status?: number; statusCode?: number })?.status ?? (err as { statusCode?: number })?.statusCode;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new ApiError(status, status === 400 ? `invalid JSON body: ${message}` : message, 'invalid_request_error');
  }
  return new ApiError(500, message, 'server_error');
}
