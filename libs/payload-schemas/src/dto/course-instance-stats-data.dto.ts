import { LmsField } from '../validation/lms-field.decorator';

/** `data` of CI_STATS (seat usage of one course instance). */
export class CourseInstanceStatsData {
  @LmsField('loInstanceId') loInstanceId: string;
  @LmsField('count') enrollmentCount: number;
  // Present but null when the instance has no seat limit; absent means the producer broke the contract.
  @LmsField('count', { nullable: true }) seatLimit: number | null;
  @LmsField('count') waitlistCount: number;
}
