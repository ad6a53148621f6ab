import { getMetadataStorage } from 'class-validator';
import { checkJsonSchemaSubset } from '../testing/json-schema-subset';
import { validateEventData } from '../validation/validate-event-data';
import {
  BATCH_EVENT_NAMES,
  EVENT_CATALOGUE,
  EVENT_NAMES,
  findEventType,
  isEventName,
  REALTIME_EVENT_NAMES,
} from './event-catalogue';

// The lists as the ingestion issue states them: the catalogue must hold exactly these.
const EXPECTED_REALTIME = [
  'CI_STATS',
  'COURSE_ENROLLMENT',
  'COURSE_COMPLETED',
  'LEARNING_PATH_ENROLLMENT',
  'LEARNING_PATH_COMPLETED',
  'CERTIFICATION_ENROLLMENT',
  'CERTIFICATION_COMPLETED',
  'COURSE_UNENROLLMENT',
  'LEARNING_PATH_UNENROLLMENT',
  'CERTIFICATION_UNENROLLMENT',
  'LEARNING_OBJECT_DRAFT',
  'LEARNING_OBJECT_DELETION',
  'LEARNING_OBJECT_MODIFICATION',
  'LEARNING_OBJECT_INSTANCE_MODIFICATION',
  'LEARNING_OBJECT_INSTANCE_DELETION',
  'LEARNING_PATH_COMPLETION_ROLLBACK',
];
const EXPECTED_BATCH = [
  'COURSE_ENROLLMENT_BATCH',
  'COURSE_COMPLETED_BATCH',
  'LEARNING_PATH_ENROLLMENT_BATCH',
  'LEARNING_PATH_COMPLETED_BATCH',
  'CERTIFICATION_ENROLLMENT_BATCH',
  'CERTIFICATION_COMPLETED_BATCH',
  'LEARNER_PROGRESS',
  'COURSE_UNENROLLMENT_BATCH',
  'LEARNING_PATH_UNENROLLMENT_BATCH',
  'CERTIFICATION_UNENROLLMENT_BATCH',
  'LEARNING_OBJECT_MODIFICATION_BATCH',
  'LEARNING_OBJECT_INSTANCE_MODIFICATION_BATCH',
  'LEARNING_PATH_COMPLETION_ROLLBACK_BATCH',
];

/** Properties the DTO treats as required, found by behaviour: removing one from the example fails. */
function requiredByDto(dto: new () => object, example: Record<string, unknown>, eventName: string): string[] {
  const properties = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(dto, '', true, false)
      .map((metadata) => metadata.propertyName),
  );
  const definition = findEventType(eventName)!;
  return [...properties].filter((property) => {
    const { [property]: _removed, ...withoutProperty } = example;
    return validateEventData(definition.name, withoutProperty).some(
      (error) => error.field === `data.${property}`,
    );
  });
}

describe('EVENT_CATALOGUE', () => {
  it('holds exactly the 29 documented events with their real-time flags', () => {
    expect([...REALTIME_EVENT_NAMES]).toEqual(EXPECTED_REALTIME);
    expect([...BATCH_EVENT_NAMES]).toEqual(EXPECTED_BATCH);
    expect([...EVENT_NAMES].sort()).toEqual([...EXPECTED_REALTIME, ...EXPECTED_BATCH].sort());
    expect(new Set(EVENT_NAMES).size).toBe(29);
  });

  it('marks every *_BATCH event and LEARNER_PROGRESS as non-real-time', () => {
    for (const entry of EVENT_CATALOGUE) {
      expect({ name: entry.name, realtime: entry.realtime }).toEqual({
        name: entry.name,
        realtime: !(entry.name.endsWith('_BATCH') || entry.name === 'LEARNER_PROGRESS'),
      });
    }
  });

  describe.each(EVENT_CATALOGUE.map((entry) => [entry.name, entry] as const))('%s', (name, entry) => {
    it('has a description and a draft 2020-12 object schema open to extra fields', () => {
      expect(entry.description.length).toBeGreaterThan(10);
      expect(entry.schema).toMatchObject({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        additionalProperties: true,
      });
    });

    it('has an example that passes its DTO', () => {
      expect(validateEventData(name, entry.example)).toEqual([]);
    });

    it('has an example that passes its JSON Schema', () => {
      expect(checkJsonSchemaSubset(entry.schema, entry.example)).toEqual([]);
    });

    it("lists in the schema's required exactly the DTO's required properties", () => {
      const required = entry.schema.required as string[];
      expect([...required].sort()).toEqual(requiredByDto(entry.dataDto, entry.example, name).sort());
    });

    it('describes in the schema every property the DTO validates', () => {
      const dtoProperties = getMetadataStorage()
        .getTargetValidationMetadatas(entry.dataDto, '', true, false)
        .map((metadata) => metadata.propertyName);
      expect(Object.keys(entry.schema.properties as object).sort()).toEqual(
        [...new Set(dtoProperties)].sort(),
      );
    });

    it('uses a loId / loType pair that agree in its example', () => {
      const { loId, loType } = entry.example;
      if (typeof loId === 'string') expect(loId.startsWith(`${String(loType)}:`)).toBe(true);
    });
  });

  it('shares one DTO class between events of the same shape', () => {
    expect(findEventType('COURSE_ENROLLMENT')!.dataDto).toBe(
      findEventType('COURSE_ENROLLMENT_BATCH')!.dataDto,
    );
    expect(findEventType('COURSE_COMPLETED')!.dataDto).toBe(
      findEventType('CERTIFICATION_COMPLETED_BATCH')!.dataDto,
    );
  });

  it('keeps its examples from being changed by callers', () => {
    const example = findEventType('COURSE_ENROLLMENT')!.example;
    expect(() => {
      example.userId = 1;
    }).toThrow(TypeError);
  });
});

describe('findEventType / isEventName', () => {
  it('finds a catalogued event by its exact name', () => {
    expect(findEventType('LEARNER_PROGRESS')).toMatchObject({ name: 'LEARNER_PROGRESS', realtime: false });
    expect(isEventName('CI_STATS')).toBe(true);
  });

  it.each(['course_enrollment', 'COURSE_ENROLLMENT ', '', 'toString', '__proto__'])(
    'knows nothing of %p',
    (name) => {
      expect(findEventType(name)).toBeUndefined();
      expect(isEventName(name)).toBe(false);
    },
  );
});

describe('checkJsonSchemaSubset (the test checker itself)', () => {
  const schema = findEventType('CI_STATS')!.schema;

  it('catches a missing required field, a wrong type and a value out of range', () => {
    expect(
      checkJsonSchemaSubset(schema, { loInstanceId: 'course:1_2', enrollmentCount: -1, seatLimit: 'x' }),
    ).toEqual([
      '$.waitlistCount: required',
      '$.enrollmentCount: below minimum',
      '$.seatLimit: matches none of anyOf',
    ]);
  });

  it('accepts a nullable field set to null and lets unknown fields through', () => {
    const example = { ...findEventType('CI_STATS')!.example, seatLimit: null, extra: { any: 'thing' } };
    expect(checkJsonSchemaSubset(schema, example)).toEqual([]);
  });

  it('refuses a keyword it does not implement rather than passing silently', () => {
    expect(() => checkJsonSchemaSubset({ type: 'object', oneOf: [] }, {})).toThrow(
      'unsupported keyword "oneOf"',
    );
  });
});
