import { ApiError, formFieldOf, toFieldErrors } from './api-error';

describe('API errors on the form', () => {
  it('puts each detail beside its field, nested and indexed paths included', () => {
    const error = ApiError.fromBody(400, {
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'targetUrl must be a URL; authentication.password ...',
      details: [
        { field: 'targetUrl', message: 'must be an absolute https URL' },
        { field: 'authentication.password', message: 'is required for BASIC' },
        { field: 'authentication.type', message: 'must be one of NONE, BASIC, SIGNATURE' },
        { field: 'events[1]', message: 'is not an event type: NOPE' },
        { field: 'events', message: 'must not be empty' },
      ],
    });
    expect(toFieldErrors(error)).toEqual({
      fields: {
        targetUrl: ['must be an absolute https URL'],
        password: ['is required for BASIC'],
        authentication: ['must be one of NONE, BASIC, SIGNATURE'],
        events: ['is not an event type: NOPE', 'must not be empty'],
      },
      general: [],
    });
  });

  it('keeps what names no form field, and the message of an error without details', () => {
    expect(
      toFieldErrors(
        new ApiError(400, 'VALIDATION_FAILED', 'bad', [{ field: 'cursor', message: 'is stale' }]),
      ),
    ).toEqual({ fields: {}, general: ['cursor: is stale'] });
    expect(toFieldErrors(new ApiError(409, 'WEBHOOK_LIMIT_REACHED', 'At most 5'))).toEqual({
      fields: {},
      general: ['At most 5'],
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
      ApiError.fromBody(400, { details: [{ field: 1 }, { field: 'name', message: 'x' }] }).details,
    ).toEqual([{ field: 'name', message: 'x' }]);
  });

  it('maps API field paths to form fields', () => {
    expect(formFieldOf('authentication.username')).toBe('username');
    expect(formFieldOf('authentication')).toBe('authentication');
    expect(formFieldOf('maxInFlight')).toBe('maxInFlight');
    expect(formFieldOf('eventName')).toBeUndefined();
  });
});
