import type { WebhookDetail } from '../api/api-types';
import {
  EMPTY_VALUES,
  INITIAL_FORM,
  initialForm,
  createBody,
  formReducer,
  updateBody,
  validateNumbers,
  valuesOf,
} from './webhook-form-state';

const saved: WebhookDetail = {
  id: 'w1',
  name: 'HR sync',
  description: null,
  targetUrl: 'https://hooks.example.com/lms',
  authentication: { type: 'BASIC', username: 'hr' },
  events: ['COURSE_ENROLLMENT'],
  active: true,
  status: 'ACTIVE',
  disabledReason: null,
  rateLimitPerSecond: 10,
  maxInFlight: 1,
  maxEventsPerRequest: 1,
  traceContextHeaders: true,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  lanes: [],
};

describe('the webhook form state', () => {
  it('sends every field on Add, the server defaulting the numbers left empty', () => {
    const values = {
      ...EMPTY_VALUES,
      name: 'A',
      targetUrl: 'https://x',
      events: ['CI_STATS'],
      maxInFlight: '4',
    };
    expect(createBody(values)).toEqual({
      name: 'A',
      description: null,
      targetUrl: 'https://x',
      authentication: { type: 'NONE' },
      events: ['CI_STATS'],
      active: false,
      maxInFlight: 4,
      traceContextHeaders: true,
    });
    expect(createBody({ ...values, traceContextHeaders: false }).traceContextHeaders).toBe(false);
  });

  it('sends on Edit only the delivery settings that changed; an emptied rate limit is null', () => {
    const values = { ...valuesOf(saved), rateLimitPerSecond: '', maxEventsPerRequest: '5' };
    const body = updateBody(values, saved);
    expect(body).toMatchObject({ rateLimitPerSecond: null, maxEventsPerRequest: 5 });
    expect(body).not.toHaveProperty('maxInFlight');
    expect(body).not.toHaveProperty('traceContextHeaders');
    // Empty password on a saved BASIC webhook keeps the stored one.
    expect(body.authentication).toEqual({ type: 'BASIC', username: 'hr' });
    expect(updateBody({ ...valuesOf(saved), password: 'new' }, saved).authentication).toEqual({
      type: 'BASIC',
      username: 'hr',
      password: 'new',
    });
  });

  it('sends the trace context headers switch on Edit when it was turned, off or back on', () => {
    expect(updateBody({ ...valuesOf(saved), traceContextHeaders: false }, saved)).toMatchObject({
      traceContextHeaders: false,
    });
    const off = { ...saved, traceContextHeaders: false };
    expect(valuesOf(off).traceContextHeaders).toBe(false);
    expect(updateBody({ ...valuesOf(off), traceContextHeaders: true }, off)).toMatchObject({
      traceContextHeaders: true,
    });
  });

  it('validates apart from building: a number field that is not a whole number is named', () => {
    expect(
      validateNumbers({
        ...EMPTY_VALUES,
        maxInFlight: '1.5',
        rateLimitPerSecond: 'x',
        maxEventsPerRequest: '3',
      }),
    ).toEqual(['maxInFlight', 'rateLimitPerSecond']);
    expect(validateNumbers(EMPTY_VALUES)).toEqual([]);
  });

  it('starts Edit filled with the saved webhook (the password never comes back), Add empty', () => {
    expect(initialForm(saved).values).toMatchObject({
      name: 'HR sync',
      username: 'hr',
      password: '',
      rateLimitPerSecond: '10',
    });
    expect(initialForm(undefined)).toBe(INITIAL_FORM);
  });

  it('ends saving and testing when the API refuses, keeping what was typed', () => {
    let state = formReducer(INITIAL_FORM, { type: 'changed', values: { name: 'typed' } });
    state = formReducer(state, { type: 'saving' });
    state = formReducer(state, {
      type: 'refused',
      errors: { fields: { name: [{ text: 'taken' }] }, general: [] },
    });
    expect(state).toMatchObject({ saving: false, testing: false, values: { name: 'typed' } });
    expect(state.errors.fields.name).toEqual([{ text: 'taken' }]);
  });
});
