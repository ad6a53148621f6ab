import type { Webhook } from '../entities';
import { assignFields, changedFields, type FieldChanges, type UpdatableField } from './webhook-field-diff';

type Fields = Pick<Webhook, UpdatableField>;

const saved: Fields = {
  name: 'HR sync',
  description: null,
  targetUrl: 'https://hr.example.org/hooks',
  events: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'],
  rateLimitPerSecond: null,
  maxInFlight: 1,
  maxEventsPerRequest: 100,
  traceContextHeaders: true,
};

describe('the update field diff', () => {
  it('names nothing when every field is undefined or equal to the saved value', () => {
    expect(changedFields(saved, {})).toEqual([]);
    expect(changedFields(saved, { ...saved, events: [...saved.events] })).toEqual([]);
  });

  it.each<[UpdatableField, FieldChanges]>([
    ['name', { name: 'Payroll' }],
    ['description', { description: 'now described' }],
    ['targetUrl', { targetUrl: 'https://hr.example.org/v2' }],
    ['events', { events: ['COURSE_ENROLLMENT'] }],
    ['rateLimitPerSecond', { rateLimitPerSecond: 5 }],
    ['maxInFlight', { maxInFlight: 4 }],
    ['maxEventsPerRequest', { maxEventsPerRequest: 10 }],
  ])('names %s when it is given a new value', (field, changes) => {
    expect(changedFields(saved, changes)).toEqual([field]);
  });

  it('sees null as a value: clearing a description or a rate limit is a change', () => {
    const described = { ...saved, description: 'x', rateLimitPerSecond: 5 };
    expect(changedFields(described, { description: null, rateLimitPerSecond: null })).toEqual([
      'description',
      'rateLimitPerSecond',
    ]);
  });

  it('compares events in order: the same names reordered are a change', () => {
    expect(changedFields(saved, { events: ['COURSE_COMPLETED', 'COURSE_ENROLLMENT'] })).toEqual(['events']);
  });

  it('names the fields in table order (the audit row lists them so), whatever order they were given in', () => {
    expect(
      changedFields(saved, { maxEventsPerRequest: 5, name: 'Payroll', events: ['LEARNER_PROGRESS'] }),
    ).toEqual(['name', 'events', 'maxEventsPerRequest']);
  });

  it('assigns exactly the fields named, and leaves the others', () => {
    const webhook = { ...saved };
    const changes: FieldChanges = { name: 'Payroll', maxInFlight: 3, description: 'ignored' };
    assignFields(webhook, changes, ['name', 'maxInFlight']);
    expect(webhook).toEqual({ ...saved, name: 'Payroll', maxInFlight: 3 });
  });
});
