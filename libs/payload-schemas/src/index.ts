export {
  BATCH_EVENT_NAMES,
  EVENT_CATALOGUE,
  EVENT_NAMES,
  findEventType,
  isEventName,
  REALTIME_EVENT_NAMES,
  type EventName,
} from './catalogue/event-catalogue';
export type { EventTypeDefinition } from './catalogue/event-type-definition';
export { buildExampleEvent, type ExampleEventOverrides } from './catalogue/build-example-event';
export { CompletionData } from './dto/completion-data.dto';
export { CompletionRollbackData } from './dto/completion-rollback-data.dto';
export { CourseInstanceStatsData } from './dto/course-instance-stats-data.dto';
export { EnrollmentData } from './dto/enrollment-data.dto';
export { LearnerProgressData } from './dto/learner-progress-data.dto';
export { LearningObjectData } from './dto/learning-object-data.dto';
export { LearningObjectInstanceData } from './dto/learning-object-instance-data.dto';
export { UnenrollmentData } from './dto/unenrollment-data.dto';
export type { FieldError } from './field-error';
export type { LmsEvent, ReceivedLmsEvent } from './lms-event';
export { LO_TYPES, type LoType } from './lo-type';
export {
  MAX_MESSAGE_BYTES,
  MAX_NESTING_DEPTH,
  parseLmsMessage,
  type ParsedLmsMessage,
  type ParseErrorCode,
} from './parsing/parse-lms-message';
export { unstorableTextProblem } from './parsing/unstorable-text';
export { IsLmsTime } from './validation/is-lms-time.decorator';
export { isLmsTime, isoTimeToEpochMs } from './validation/lms-time';
export { validateEventData } from './validation/validate-event-data';
