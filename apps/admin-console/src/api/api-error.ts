/** An error answer of the admin API: `{statusCode, code, message, details?: [{field, code, message, params?}]}`. */
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
    const details = Array.isArray(record.details) ? record.details.flatMap(readDetail) : [];
    const errorId = typeof record.errorId === 'string' ? record.errorId : undefined;
    return new ApiError(status, code, message, details, errorId);
  }
}

/**
 * One refused field: `code` says which rule (the console words it in the admin's language with
 * `params`), `message` is the server's English. The code is typed loosely: a newer server may send
 * one this console does not know, and its message is then shown as it came.
 */
export interface ApiErrorDetail {
  field: string;
  code: string;
  message: string;
  params?: Record<string, unknown>;
}

function readDetail(detail: unknown): ApiErrorDetail[] {
  if (typeof detail !== 'object' || detail === null) return [];
  const { field, code, message, params } = detail as Record<string, unknown>;
  if (typeof field !== 'string' || typeof message !== 'string') return [];
  return [
    {
      field,
      code: typeof code === 'string' ? code : '',
      message,
      ...(typeof params === 'object' && params !== null && !Array.isArray(params)
        ? { params: params as Record<string, unknown> }
        : {}),
    },
  ];
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
  'traceContextHeaders',
  'from',
  'to',
] as const;
export type FormField = (typeof FORM_FIELDS)[number];

/** A line of an error. */
export interface ErrorText {
  text: string;
  /** The server's English, not translated (a code this console does not know): shown translate="no". */
  verbatim?: true;
}

export interface FieldErrors {
  /** Messages per form field, in the API's order. */
  fields: Partial<Record<FormField, ErrorText[]>>;
  /** Details that name no field of the form, and the message when there are no details at all. */
  general: ErrorText[];
}

/** How a detail reads when nobody words it: the server's English, as it came. */
const asSent = (detail: ApiErrorDetail): ErrorText => ({ text: detail.message, verbatim: true });

/**
 * Spreads an API error over the form: `authentication.username` belongs beside Username, `events[2]`
 * beside Trigger Events. A detail the form has no field for is kept as a general message, so nothing
 * the API said is lost.
 */
export function toFieldErrors(
  error: ApiError,
  say: (detail: ApiErrorDetail) => ErrorText = asSent,
): FieldErrors {
  const result: FieldErrors = { fields: {}, general: [] };
  for (const detail of error.details) {
    const field = formFieldOf(detail.field);
    const said = say(detail);
    if (field) (result.fields[field] ??= []).push(said);
    // The field's API name is English: it goes with the server's English only.
    else if (said.verbatim) result.general.push({ text: `${detail.field}: ${said.text}`, verbatim: true });
    else if (!result.general.some((line) => line.text === said.text)) result.general.push(said);
  }
  if (error.details.length === 0) result.general.push({ text: error.message, verbatim: true });
  return result;
}

export function formFieldOf(apiField: string): FormField | undefined {
  const path = apiField.replace(/\[\d+\]/g, '').split('.');
  if (path[0] === 'authentication' && (path[1] === 'username' || path[1] === 'password')) return path[1];
  return (FORM_FIELDS as readonly string[]).includes(path[0]) ? (path[0] as FormField) : undefined;
}
