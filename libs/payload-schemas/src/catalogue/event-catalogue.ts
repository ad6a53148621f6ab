import { CompletionData } from '../dto/completion-data.dto';
import { CompletionRollbackData } from '../dto/completion-rollback-data.dto';
import { CourseInstanceStatsData } from '../dto/course-instance-stats-data.dto';
import { EnrollmentData } from '../dto/enrollment-data.dto';
import { LearnerProgressData } from '../dto/learner-progress-data.dto';
import { LearningObjectData } from '../dto/learning-object-data.dto';
import { LearningObjectInstanceData } from '../dto/learning-object-instance-data.dto';
import { UnenrollmentData } from '../dto/unenrollment-data.dto';
import { buildDataSchema } from '../validation/build-data-schema';
import type { EventTypeDefinition } from './event-type-definition';
import { exampleData } from './example-data';

interface EventTableEntry {
  name: string;
  realtime: boolean;
  description: string;
  dataDto: new () => object;
  example: Record<string, unknown>;
}

// The one table of events: adding an event is one entry here (plus a DTO if its `data` has a new shape).
// EventName is derived from it, so the type and the runtime list cannot disagree.
const EVENT_TABLE = [
  // Real-time: sent to the listener URL as they happen.
  {
    name: 'CI_STATS',
    realtime: true,
    description: 'Seat usage of a course instance changed (enrollments, seat limit, waitlist).',
    dataDto: CourseInstanceStatsData,
    example: exampleData.courseInstanceStats(),
  },
  {
    name: 'COURSE_ENROLLMENT',
    realtime: true,
    description: 'A learner enrolled in a course instance.',
    dataDto: EnrollmentData,
    example: exampleData.enrollment('course'),
  },
  {
    name: 'COURSE_COMPLETED',
    realtime: true,
    description: 'A learner completed a course instance.',
    dataDto: CompletionData,
    example: exampleData.completion('course'),
  },
  {
    name: 'LEARNING_PATH_ENROLLMENT',
    realtime: true,
    description: 'A learner enrolled in a learning path.',
    dataDto: EnrollmentData,
    example: exampleData.enrollment('learningProgram'),
  },
  {
    name: 'LEARNING_PATH_COMPLETED',
    realtime: true,
    description: 'A learner completed a learning path.',
    dataDto: CompletionData,
    example: exampleData.completion('learningProgram'),
  },
  {
    name: 'CERTIFICATION_ENROLLMENT',
    realtime: true,
    description: 'A learner enrolled in a certification.',
    dataDto: EnrollmentData,
    example: exampleData.enrollment('certification'),
  },
  {
    name: 'CERTIFICATION_COMPLETED',
    realtime: true,
    description: 'A learner completed a certification.',
    dataDto: CompletionData,
    example: exampleData.completion('certification'),
  },
  {
    name: 'COURSE_UNENROLLMENT',
    realtime: true,
    description: 'A learner was unenrolled from a course instance.',
    dataDto: UnenrollmentData,
    example: exampleData.unenrollment('course'),
  },
  {
    name: 'LEARNING_PATH_UNENROLLMENT',
    realtime: true,
    description: 'A learner was unenrolled from a learning path.',
    dataDto: UnenrollmentData,
    example: exampleData.unenrollment('learningProgram'),
  },
  {
    name: 'CERTIFICATION_UNENROLLMENT',
    realtime: true,
    description: 'A learner was unenrolled from a certification.',
    dataDto: UnenrollmentData,
    example: exampleData.unenrollment('certification'),
  },
  {
    name: 'LEARNING_OBJECT_DRAFT',
    realtime: true,
    description: 'A learning object was created as a draft.',
    dataDto: LearningObjectData,
    example: exampleData.learningObject('course'),
  },
  {
    name: 'LEARNING_OBJECT_DELETION',
    realtime: true,
    description: 'A learning object was deleted.',
    dataDto: LearningObjectData,
    example: exampleData.learningObject('jobAid'),
  },
  {
    name: 'LEARNING_OBJECT_MODIFICATION',
    realtime: true,
    description: 'A learning object was modified.',
    dataDto: LearningObjectData,
    example: exampleData.learningObject('course'),
  },
  {
    name: 'LEARNING_OBJECT_INSTANCE_MODIFICATION',
    realtime: true,
    description: 'A learning object instance was modified.',
    dataDto: LearningObjectInstanceData,
    example: exampleData.learningObjectInstance('course'),
  },
  {
    name: 'LEARNING_OBJECT_INSTANCE_DELETION',
    realtime: true,
    description: 'A learning object instance was deleted.',
    dataDto: LearningObjectInstanceData,
    example: exampleData.learningObjectInstance('course'),
  },
  {
    name: 'LEARNING_PATH_COMPLETION_ROLLBACK',
    realtime: true,
    description: "A learner's learning-path completion was rolled back.",
    dataDto: CompletionRollbackData,
    example: exampleData.completionRollback('learningProgram'),
  },
  // Non-real-time: processed in batches and sent at scheduled times.
  {
    name: 'COURSE_ENROLLMENT_BATCH',
    realtime: false,
    description: 'Learners were enrolled in a course instance by an admin, a manager or the platform.',
    dataDto: EnrollmentData,
    example: exampleData.enrollment('course', 'ADMIN_ENROLL'),
  },
  {
    name: 'COURSE_COMPLETED_BATCH',
    realtime: false,
    description: 'Course completions recorded in bulk (e.g. marked complete by an admin).',
    dataDto: CompletionData,
    example: exampleData.completion('course', 'ADMIN_ENROLL'),
  },
  {
    name: 'LEARNING_PATH_ENROLLMENT_BATCH',
    realtime: false,
    description: 'Learners were enrolled in a learning path by an admin, a manager or the platform.',
    dataDto: EnrollmentData,
    example: exampleData.enrollment('learningProgram', 'ADMIN_ENROLL'),
  },
  {
    name: 'LEARNING_PATH_COMPLETED_BATCH',
    realtime: false,
    description: 'Learning-path completions recorded in bulk.',
    dataDto: CompletionData,
    example: exampleData.completion('learningProgram', 'ADMIN_ENROLL'),
  },
  {
    name: 'CERTIFICATION_ENROLLMENT_BATCH',
    realtime: false,
    description: 'Learners were enrolled in a certification by an admin, a manager or the platform.',
    dataDto: EnrollmentData,
    example: exampleData.enrollment('certification', 'ADMIN_ENROLL'),
  },
  {
    name: 'CERTIFICATION_COMPLETED_BATCH',
    realtime: false,
    description: 'Certification completions recorded in bulk.',
    dataDto: CompletionData,
    example: exampleData.completion('certification', 'ADMIN_ENROLL'),
  },
  {
    name: 'LEARNER_PROGRESS',
    realtime: false,
    description: "A learner's progress in a learning object changed (may be delayed up to 15 minutes).",
    dataDto: LearnerProgressData,
    example: exampleData.learnerProgress('course'),
  },
  {
    name: 'COURSE_UNENROLLMENT_BATCH',
    realtime: false,
    description: 'Learners were unenrolled from a course instance in bulk.',
    dataDto: UnenrollmentData,
    example: exampleData.unenrollment('course', 'ADMIN_ENROLL'),
  },
  {
    name: 'LEARNING_PATH_UNENROLLMENT_BATCH',
    realtime: false,
    description: 'Learners were unenrolled from a learning path in bulk.',
    dataDto: UnenrollmentData,
    example: exampleData.unenrollment('learningProgram', 'ADMIN_ENROLL'),
  },
  {
    name: 'CERTIFICATION_UNENROLLMENT_BATCH',
    realtime: false,
    description: 'Learners were unenrolled from a certification in bulk.',
    dataDto: UnenrollmentData,
    example: exampleData.unenrollment('certification', 'ADMIN_ENROLL'),
  },
  {
    name: 'LEARNING_OBJECT_MODIFICATION_BATCH',
    realtime: false,
    description: 'Learning objects were modified in bulk.',
    dataDto: LearningObjectData,
    example: exampleData.learningObject('learningProgram'),
  },
  {
    name: 'LEARNING_OBJECT_INSTANCE_MODIFICATION_BATCH',
    realtime: false,
    description: 'Learning object instances were modified in bulk.',
    dataDto: LearningObjectInstanceData,
    example: exampleData.learningObjectInstance('course'),
  },
  {
    name: 'LEARNING_PATH_COMPLETION_ROLLBACK_BATCH',
    realtime: false,
    description: 'Learning-path completions were rolled back in bulk.',
    dataDto: CompletionRollbackData,
    example: exampleData.completionRollback('learningProgram'),
  },
] as const satisfies readonly EventTableEntry[];

export type EventName = (typeof EVENT_TABLE)[number]['name'];

export const EVENT_CATALOGUE: readonly EventTypeDefinition[] = Object.freeze(
  EVENT_TABLE.map((entry): EventTypeDefinition => ({
    ...entry,
    // Frozen: the catalogue is shared by every caller; buildExampleEvent hands out copies.
    example: Object.freeze({ ...entry.example }),
    schema: buildDataSchema(entry.name, entry.description, entry.dataDto),
  })),
);

export const EVENT_NAMES: readonly EventName[] = Object.freeze(EVENT_CATALOGUE.map((entry) => entry.name));
export const REALTIME_EVENT_NAMES: readonly EventName[] = Object.freeze(
  EVENT_CATALOGUE.filter((entry) => entry.realtime).map((entry) => entry.name),
);
export const BATCH_EVENT_NAMES: readonly EventName[] = Object.freeze(
  EVENT_CATALOGUE.filter((entry) => !entry.realtime).map((entry) => entry.name),
);

const BY_NAME: ReadonlyMap<string, EventTypeDefinition> = new Map(
  EVENT_CATALOGUE.map((entry) => [entry.name, entry]),
);

export function findEventType(name: string): EventTypeDefinition | undefined {
  return BY_NAME.get(name);
}

export function isEventName(name: string): name is EventName {
  return BY_NAME.has(name);
}
