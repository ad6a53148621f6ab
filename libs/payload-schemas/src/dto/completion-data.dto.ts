import type { LoType } from '../lo-type';
import { LmsField } from '../validation/lms-field.decorator';

/** `data` of the *_COMPLETED and *_COMPLETED_BATCH events. */
export class CompletionData {
  @LmsField('userId') userId: number;
  @LmsField('loId') loId: string;
  @LmsField('loInstanceId') loInstanceId: string;
  @LmsField('loType') loType: LoType;
  @LmsField('label') enrollmentSource: string;
  @LmsField('time') dateCompleted: number | string;
  @LmsField('boolean') hasPassed: boolean;
}
