import { ApiError, formFieldOf, toFieldErrors } from './api-error';

describe('API errors on the form', () => {
  it('puts each detail beside its field, nested and indexed paths included', () => {
    const error = ApiError.fromBody(400, {
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'targetUrl must be a URL; authentication.password ...',
      details: [
        { field: 'targetUrl', code: 'INVALID_VALUE', message: 'must be an absolute https URL' },
        { field: 'authentication.password', code: 'INVALID_VALUE', message: 'is required for BASIC' },
        {
          field: 'authentication.type',
          code: 'NOT_ONE_OF',
          message: 'must be one of NONE, BASIC, SIGNATURE',
        },
        { field: 'events[1]', code: 'UNKNOWN_EVENT_TYPE', message: 'is not an event type: NOPE' },
        { field: 'events', code: 'ARRAY_EMPTY', message: 'must not be empty' },
      ],
    });
    // Nobody words them here: each is the server's English, marked so.
    const sent = (text: string) => ({ text, verbatim: true });
    expect(toFieldErrors(error)).toEqual({
      fields: {
        targetUrl: [sent('must be an absolute https URL')],
        password: [sent('is required for BASIC')],
        authentication: [sent('must be one of NONE, BASIC, SIGNATURE')],
        events: [sent('is not an event type: NOPE'), sent('must not be empty')],
      },
      general: [],
    });
  });

  it('keeps what names no form field, and the message of an error without details', () => {
    expect(
      toFieldErrors(
        new ApiError(400, 'VALIDATION_FAILED', 'bad', [
          { field: 'cursor', code: 'INVALID_VALUE', message: 'is stale' },
        ]),
      ),
    ).toEqual({ fields: {}, general: [{ text: 'cursor: is stale', verbatim: true }] });
    expect(toFieldErrors(new ApiError(409, 'WEBHOOK_LIMIT_REACHED', 'At most 5'))).toEqual({
      fields: {},
      general: [{ text: 'At most 5', verbatim: true }],
    });
  });

  it('reads any error body defensively', () => {
    const error = ApiError.fromBody(502, '<html>Bad gateway</html>');
    expect([error.status, error.code, error.message, error.details]).toEqual([
      502,
      'HTTP_502',
      'HTTP 502',
      [],
    ]);
    expect(
      ApiError.fromBody(400, {
        details: [
          { field: 1 },
          { field: 'name', message: 'x' },
          { field: 'name', code: 'FIELD_TOO_LONG', message: 'y', params: { max: 100 } },
          { field: 'name', code: 'FIELD_TOO_LONG', message: 'z', params: [100] },
        ],
      }).details,
    ).toEqual([
      // An older server's detail has no code: the console knows none for it and shows its message.
      { field: 'name', code: '', message: 'x' },
      { field: 'name', code: 'FIELD_TOO_LONG', message: 'y', params: { max: 100 } },
      { field: 'name', code: 'FIELD_TOO_LONG', message: 'z' },
    ]);
  });

  it('maps API field paths to form fields', () => {
    expect(formFieldOf('authentication.username')).toBe('username');
    expect(formFieldOf('authentication')).toBe('authentication');
    expect(formFieldOf('maxInFlight')).toBe('maxInFlight');
    expect(formFieldOf('eventName')).toBeUndefined();
  });
});
