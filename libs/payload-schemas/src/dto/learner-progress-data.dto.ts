import type { LoType } from '../lo-type';
import { LmsField } from '../validation/lms-field.decorator';

/** `data` of LEARNER_PROGRESS. */
export class LearnerProgressData {
  @LmsField('userId') userId: number;
  @LmsField('loId') loId: string;
  @LmsField('loType') loType: LoType;
  @LmsField('loInstanceId') loInstanceId: string;
  @LmsField('time') dateStarted: number | string;
  @LmsField('percent') progressPercent: number;
}
