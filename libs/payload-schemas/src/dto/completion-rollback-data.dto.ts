import type { LoType } from '../lo-type';
import { LmsField } from '../validation/lms-field.decorator';

/** `data` of LEARNING_PATH_COMPLETION_ROLLBACK(_BATCH): a completion the LMS has taken back. */
export class CompletionRollbackData {
  @LmsField('userId') userId: number;
  @LmsField('loId') loId: string;
  @LmsField('loInstanceId') loInstanceId: string;
  @LmsField('loType') loType: LoType;
  // Optional context a receiver needs to find and undo the completion it recorded; checked only when sent.
  @LmsField('time', { optional: true }) dateCompleted?: number | string;
  @LmsField('label', { optional: true }) enrollmentSource?: string;
}
