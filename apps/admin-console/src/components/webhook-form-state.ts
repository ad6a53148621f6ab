import type { FieldErrors, FormField } from '../api/api-error';
import type {
  AuthenticationType,
  TestResult,
  WebhookChanges,
  WebhookDetail,
  WebhookInput,
} from '../api/api-types';

/** The form's fields as typed (numbers as text, so a half-typed value is not lost). */
export interface FormValues {
  name: string;
  description: string;
  targetUrl: string;
  authType: AuthenticationType;
  username: string;
  password: string;
  events: string[];
  active: boolean;
  maxInFlight: string;
  maxEventsPerRequest: string;
  rateLimitPerSecond: string;
  traceContextHeaders: boolean;
}

export const NUMBER_FIELDS = ['maxInFlight', 'maxEventsPerRequest', 'rateLimitPerSecond'] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];

export const NO_ERRORS: FieldErrors = { fields: {}, general: [] };

/** Everything the Add/Edit page shows besides the server's lists: one state, changed by one reducer. */
export interface FormState {
  values: FormValues;
  errors: FieldErrors;
  notice: string | undefined;
  saving: boolean;
  testing: boolean;
  testResult: TestResult | undefined;
  confirmingDelete: boolean;
}

export type FormAction =
  | { type: 'changed'; values: Partial<FormValues> }
  | { type: 'refused'; errors: FieldErrors }
  | { type: 'saving' }
  | { type: 'testing' }
  | { type: 'tested'; result: TestResult }
  | { type: 'noticed'; notice: string }
  | { type: 'confirmingDelete'; open: boolean };

export const EMPTY_VALUES: FormValues = {
  name: '',
  description: '',
  targetUrl: '',
  authType: 'NONE',
  username: '',
  password: '',
  events: [],
  active: false,
  maxInFlight: '',
  maxEventsPerRequest: '',
  rateLimitPerSecond: '',
  traceContextHeaders: true,
};

export const INITIAL_FORM: FormState = {
  values: EMPTY_VALUES,
  errors: NO_ERRORS,
  notice: undefined,
  saving: false,
  testing: false,
  testResult: undefined,
  confirmingDelete: false,
};

/** The Add form empty; the Edit form with the saved webhook's values. */
export function initialForm(saved: WebhookDetail | undefined): FormState {
  return saved ? { ...INITIAL_FORM, values: valuesOf(saved) } : INITIAL_FORM;
}

export function formReducer(state: FormState, action: FormAction): FormState {
  switch (action.type) {
    case 'changed':
      return { ...state, values: { ...state.values, ...action.values } };
    case 'refused':
      // Whatever was running is over: the API (or the form itself) said no.
      return { ...state, errors: action.errors, saving: false, testing: false, confirmingDelete: false };
    case 'saving':
      return { ...state, saving: true, notice: undefined };
    case 'testing':
      return { ...state, testing: true, testResult: undefined, errors: NO_ERRORS };
    case 'tested':
      return { ...state, testing: false, testResult: action.result };
    case 'noticed':
      return { ...state, notice: action.notice };
    case 'confirmingDelete':
      return { ...state, confirmingDelete: action.open };
  }
}

export function valuesOf(webhook: WebhookDetail): FormValues {
  return {
    name: webhook.name,
    description: webhook.description ?? '',
    targetUrl: webhook.targetUrl,
    authType: webhook.authentication.type,
    username: webhook.authentication.username ?? '',
    password: '',
    events: [...webhook.events],
    active: webhook.active,
    maxInFlight: numberText(webhook.maxInFlight),
    maxEventsPerRequest: numberText(webhook.maxEventsPerRequest),
    rateLimitPerSecond: numberText(webhook.rateLimitPerSecond),
    traceContextHeaders: webhook.traceContextHeaders,
  };
}

function numberText(value: number | null | undefined): string {
  return typeof value === 'number' ? String(value) : '';
}

/** The fields that are whole numbers as typed, or which are not (to be marked beside them). */
export function validateNumbers(values: FormValues): FormField[] {
  return NUMBER_FIELDS.filter((key) => values[key].trim() !== '' && !/^\d+$/.test(values[key].trim()));
}

/** POST /webhooks: every field; a number left empty is the server's default. */
export function createBody(values: FormValues): WebhookInput {
  const numbers: Partial<Record<NumberField, number>> = {};
  for (const key of NUMBER_FIELDS) if (values[key].trim() !== '') numbers[key] = Number(values[key].trim());
  return { ...commonBody(values, undefined), ...numbers, traceContextHeaders: values.traceContextHeaders };
}

/**
 * PATCH /webhooks/{id}: the main fields as shown, and of the delivery settings only what changed
 * (an emptied rate limit is null: no limit). Empty Password on a saved BASIC webhook keeps it.
 */
export function updateBody(values: FormValues, saved: WebhookDetail): WebhookChanges {
  const changes: WebhookChanges = commonBody(values, saved);
  for (const key of NUMBER_FIELDS) {
    const text = values[key].trim();
    if (text === numberText(saved[key])) continue;
    if (text !== '') changes[key] = Number(text);
    else if (key === 'rateLimitPerSecond') changes.rateLimitPerSecond = null;
  }
  if (values.traceContextHeaders !== saved.traceContextHeaders)
    changes.traceContextHeaders = values.traceContextHeaders;
  return changes;
}

function commonBody(values: FormValues, saved: WebhookDetail | undefined): WebhookInput {
  const authentication: WebhookInput['authentication'] = { type: values.authType };
  if (values.authType === 'BASIC') {
    authentication.username = values.username;
    if (values.password !== '' || saved?.authentication.type !== 'BASIC')
      authentication.password = values.password;
  }
  return {
    name: values.name,
    description: values.description.trim() === '' ? null : values.description,
    targetUrl: values.targetUrl,
    authentication,
    events: values.events,
    active: values.active,
  };
}
