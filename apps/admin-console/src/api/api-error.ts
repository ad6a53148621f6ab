/** An error answer of the admin API: `{statusCode, code, message, details?: [{field, message}]}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ApiErrorDetail[] = [],
    /** A 500's id in the server's logs, for the operators. */
    readonly errorId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** Reads an error body defensively: a proxy's HTML page or an empty body still gives an error. */
  static fromBody(status: number, body: unknown): ApiError {
    const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const code = typeof record.code === 'string' ? record.code : `HTTP_${status}`;
    const message = typeof record.message === 'string' ? record.message : `HTTP ${status}`;
    const details = Array.isArray(record.details)
      ? record.details.filter(
          (detail): detail is ApiErrorDetail =>
            typeof detail === 'object' &&
            detail !== null &&
            typeof (detail as ApiErrorDetail).field === 'string' &&
            typeof (detail as ApiErrorDetail).message === 'string',
        )
      : [];
    const errorId = typeof record.errorId === 'string' ? record.errorId : undefined;
    return new ApiError(status, code, message, details, errorId);
  }
}

export interface ApiErrorDetail {
  field: string;
  message: string;
}

/** The console's form fields an API detail can point at. */
export const FORM_FIELDS = [
  'name',
  'description',
  'targetUrl',
  'authentication',
  'username',
  'password',
  'events',
  'active',
  'maxInFlight',
  'maxEventsPerRequest',
  'rateLimitPerSecond',
  'from',
  'to',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

export interface FieldErrors {
  /** Messages per form field, in the API's order. */
  fields: Partial<Record<FormField, string[]>>;
  /** Details that name no field of the form, and the message when there are no details at all. */
  general: string[];
}

/**
 * Spreads an API error over the form: `authentication.username` belongs beside Username, `events[2]`
 * beside Trigger Events. A detail the form has no field for is kept as a general message, so nothing
 * the API said is lost.
 */
export function toFieldErrors(error: ApiError): FieldErrors {
  const result: FieldErrors = { fields: {}, general: [] };
  for (const detail of error.details) {
    const field = formFieldOf(detail.field);
    if (field) (result.fields[field] ??= []).push(detail.message);
    else result.general.push(`${detail.field}: ${detail.message}`);
  }
  if (error.details.length === 0) result.general.push(error.message);
  return result;
}

export function formFieldOf(apiField: string): FormField | undefined {
  const path = apiField.replace(/\[\d+\]/g, '').split('.');
  if (path[0] === 'authentication' && (path[1] === 'username' || path[1] === 'password')) return path[1];
  return (FORM_FIELDS as readonly string[]).includes(path[0]) ? (path[0] as FormField) : undefined;
}
