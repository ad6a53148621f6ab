import type { LoType } from '../lo-type';
import { LmsField } from '../validation/lms-field.decorator';

/** `data` of the *_UNENROLLMENT and *_UNENROLLMENT_BATCH events. */
export class UnenrollmentData {
  @LmsField('userId') userId: number;
  @LmsField('loId') loId: string;
  @LmsField('loInstanceId') loInstanceId: string;
  @LmsField('loType') loType: LoType;
  @LmsField('label') enrollmentSource: string;
}
