import type { EventName } from '../catalogue/event-catalogue';
import { findEventType } from '../catalogue/event-catalogue';
import { validateEventData } from './validate-event-data';

type Data = Record<string, unknown>;

/** A fresh, mutable copy of the catalogue example, with some fields replaced or removed. */
function exampleData(name: EventName, changes: Data = {}, remove: string[] = []): Data {
  const data: Data = { ...findEventType(name)!.example, ...changes };
  for (const field of remove) delete data[field];
  return data;
}

// One representative event per `data` shape, each with a realistic mistake per documented field.
const SHAPES: {
  shape: string;
  event: EventName;
  mistyped: [field: string, value: unknown, message: string][];
}[] = [
  {
    shape: 'enrollment',
    event: 'COURSE_ENROLLMENT',
    mistyped: [
      ['userId', '4279332', 'must be a positive integer'],
      ['loId', 7374992, 'must be a learning-object id like "course:7374992"'],
      [
        'loInstanceId',
        'course:7376092',
        'must be a learning-object instance id like "course:7376092_10250977"',
      ],
      ['loType', 'video', 'must be one of course, learningProgram, certification, jobAid'],
      ['enrollmentSource', '', 'must be a non-empty string'],
      ['dateEnrolled', 'last tuesday', 'must be epoch seconds, epoch milliseconds or an ISO-8601 string'],
    ],
  },
  {
    shape: 'completion',
    event: 'LEARNING_PATH_COMPLETED_BATCH',
    mistyped: [
      ['userId', 0, 'must be a positive integer'],
      ['hasPassed', 'true', 'must be a boolean'],
      ['dateCompleted', false, 'must be epoch seconds, epoch milliseconds or an ISO-8601 string'],
    ],
  },
  {
    shape: 'unenrollment',
    event: 'CERTIFICATION_UNENROLLMENT',
    mistyped: [
      ['userId', 12.5, 'must be a positive integer'],
      ['enrollmentSource', 3, 'must be a non-empty string'],
    ],
  },
  {
    shape: 'learner progress',
    event: 'LEARNER_PROGRESS',
    mistyped: [
      ['progressPercent', 101, 'must be a number from 0 to 100'],
      ['progressPercent', '40', 'must be a number from 0 to 100'],
      ['dateStarted', -5, 'must be epoch seconds, epoch milliseconds or an ISO-8601 string'],
    ],
  },
  {
    shape: 'course instance stats',
    event: 'CI_STATS',
    mistyped: [
      ['enrollmentCount', -1, 'must be a non-negative integer'],
      ['seatLimit', 2.5, 'must be a non-negative integer or null'],
      ['waitlistCount', '3', 'must be a non-negative integer'],
    ],
  },
  {
    shape: 'learning object',
    event: 'LEARNING_OBJECT_DELETION',
    mistyped: [['loType', 'Course', 'must be one of course, learningProgram, certification, jobAid']],
  },
  {
    shape: 'learning object instance',
    event: 'LEARNING_OBJECT_INSTANCE_MODIFICATION_BATCH',
    mistyped: [
      ['loInstanceId', null, 'must be a learning-object instance id like "course:7376092_10250977"'],
    ],
  },
  {
    shape: 'completion rollback',
    event: 'LEARNING_PATH_COMPLETION_ROLLBACK',
    mistyped: [
      ['userId', -4, 'must be a positive integer'],
      ['dateCompleted', 'soon', 'must be epoch seconds, epoch milliseconds or an ISO-8601 string'],
    ],
  },
];

describe('validateEventData', () => {
  describe.each(SHAPES)('$shape data ($event)', ({ event, mistyped }) => {
    const required = findEventType(event)!.schema.required as string[];

    it.each(required)('rejects a missing %s with its field path', (field) => {
      expect(validateEventData(event, exampleData(event, {}, [field]))).toEqual([
        { field: `data.${field}`, message: 'is required' },
      ]);
    });

    it.each(mistyped)('rejects %s = %p', (field, value, message) => {
      expect(validateEventData(event, exampleData(event, { [field]: value }))).toEqual([
        { field: `data.${field}`, message },
      ]);
    });

    it.each(required)('rejects an object where %s should be', (field) => {
      expect(validateEventData(event, exampleData(event, { [field]: { nested: true } }))).toEqual([
        { field: `data.${field}`, message: expect.stringMatching(/^must be /) },
      ]);
    });
  });

  it('reports every bad field, not only the first', () => {
    const errors = validateEventData(
      'COURSE_ENROLLMENT',
      exampleData('COURSE_ENROLLMENT', { userId: 'x' }, ['loType']),
    );
    expect(errors.map((error) => error.field).sort()).toEqual(['data.loType', 'data.userId']);
  });

  it.each([
    ['epoch seconds', 1727414643],
    ['epoch milliseconds', 1727414643000],
    ['an ISO-8601 string', '2024-09-27T05:24:03.000+02:00'],
  ])('accepts a time in %s', (_label, dateEnrolled) => {
    expect(
      validateEventData('COURSE_ENROLLMENT', exampleData('COURSE_ENROLLMENT', { dateEnrolled })),
    ).toEqual([]);
  });

  it('lets unknown fields through without touching data', () => {
    const data = exampleData('COURSE_COMPLETED', {
      score: 87.5,
      customFields: { region: 'EMEA', tags: ['a', 'b'] },
      constructor: 'not a class',
      userId: 4279332,
    });
    const before = structuredClone(data);

    expect(validateEventData('COURSE_COMPLETED', data)).toEqual([]);
    expect(data).toEqual(before);
    expect(Object.keys(data)).toEqual(Object.keys(before));
  });

  it('does not mutate data that fails validation either', () => {
    const data = exampleData('LEARNER_PROGRESS', { progressPercent: 'half', extra: 1 }, ['userId']);
    const before = structuredClone(data);

    validateEventData('LEARNER_PROGRESS', data);
    expect(data).toEqual(before);
  });

  it('is not fooled by a __proto__ key in LMS input', () => {
    const data = JSON.parse('{"__proto__":{"userId":1},"loId":"course:1","loType":"course"}') as unknown;
    expect(validateEventData('LEARNING_OBJECT_DRAFT', data)).toEqual([]);
    expect(validateEventData('COURSE_ENROLLMENT', data)).toContainEqual({
      field: 'data.userId',
      message: 'is required',
    });
  });

  describe('CI_STATS seatLimit', () => {
    it('accepts null as "unlimited"', () => {
      expect(validateEventData('CI_STATS', exampleData('CI_STATS', { seatLimit: null }))).toEqual([]);
    });

    it('still requires the field to be present', () => {
      expect(validateEventData('CI_STATS', exampleData('CI_STATS', {}, ['seatLimit']))).toEqual([
        { field: 'data.seatLimit', message: 'is required' },
      ]);
    });
  });

  it('accepts a completion rollback without its optional context', () => {
    const data = exampleData('LEARNING_PATH_COMPLETION_ROLLBACK_BATCH', {}, [
      'dateCompleted',
      'enrollmentSource',
    ]);
    expect(validateEventData('LEARNING_PATH_COMPLETION_ROLLBACK_BATCH', data)).toEqual([]);
  });

  it.each([
    ['null', null],
    ['an array', [exampleData('CI_STATS')]],
    ['a string', '{"loInstanceId":"course:1_2"}'],
  ])('rejects data that is %s', (_label, data) => {
    expect(validateEventData('CI_STATS', data)).toEqual([
      { field: 'data', message: 'must be a JSON object' },
    ]);
  });

  it('reports absent data as required', () => {
    expect(validateEventData('CI_STATS', undefined)).toEqual([{ field: 'data', message: 'is required' }]);
  });

  it('reports a name outside the catalogue instead of throwing', () => {
    expect(validateEventData('NOPE' as EventName, {})).toEqual([
      { field: 'eventName', message: 'unknown event "NOPE"' },
    ]);
  });
});
