import type { LoType } from '../lo-type';
import { LmsField } from '../validation/lms-field.decorator';

/** `data` of the *_ENROLLMENT and *_ENROLLMENT_BATCH events. */
export class EnrollmentData {
  @LmsField('userId') userId: number;
  @LmsField('loId') loId: string;
  @LmsField('loInstanceId') loInstanceId: string;
  @LmsField('loType') loType: LoType;
  // Open set on the LMS side (SELF_ENROLL, ADMIN_ENROLL, ...): a closed enum would dead-letter new values.
  @LmsField('label') enrollmentSource: string;
  @LmsField('time') dateEnrolled: number | string;
}
