import type { LoType } from '../lo-type';

// Realistic ids per learning-object type, in the formats the LMS uses.
const IDS: Readonly<Record<LoType, { loId: string; loInstanceId: string }>> = {
  course: { loId: 'course:7374992', loInstanceId: 'course:7376092_10250977' },
  learningProgram: { loId: 'learningProgram:185133', loInstanceId: 'learningProgram:185133_196301' },
  certification: { loId: 'certification:98511', loInstanceId: 'certification:98511_103288' },
  jobAid: { loId: 'jobAid:42117', loInstanceId: 'jobAid:42117_51202' },
};

const USER_ID = 4279332;

/**
 * Example `data` per shape. The LMS writes times in all three forms, so the examples do too: epoch
 * seconds for enrollments, ISO-8601 for completions, epoch milliseconds for progress.
 */
export const exampleData = {
  enrollment: (loType: LoType, enrollmentSource = 'SELF_ENROLL') => ({
    userId: USER_ID,
    ...IDS[loType],
    loType,
    enrollmentSource,
    dateEnrolled: 1727414643,
  }),
  completion: (loType: LoType, enrollmentSource = 'SELF_ENROLL') => ({
    userId: USER_ID,
    ...IDS[loType],
    loType,
    enrollmentSource,
    dateCompleted: '2024-09-27T05:31:12.000Z',
    hasPassed: true,
  }),
  unenrollment: (loType: LoType, enrollmentSource = 'SELF_ENROLL') => ({
    userId: USER_ID,
    ...IDS[loType],
    loType,
    enrollmentSource,
  }),
  learnerProgress: (loType: LoType) => ({
    userId: USER_ID,
    loId: IDS[loType].loId,
    loType,
    loInstanceId: IDS[loType].loInstanceId,
    dateStarted: 1727414643000,
    progressPercent: 40,
  }),
  courseInstanceStats: () => ({
    loInstanceId: IDS.course.loInstanceId,
    enrollmentCount: 48,
    seatLimit: 50,
    waitlistCount: 3,
  }),
  learningObject: (loType: LoType) => ({ loId: IDS[loType].loId, loType }),
  learningObjectInstance: (loType: LoType) => ({
    loInstanceId: IDS[loType].loInstanceId,
    loId: IDS[loType].loId,
    loType,
  }),
  completionRollback: (loType: LoType) => ({
    userId: USER_ID,
    ...IDS[loType],
    loType,
    dateCompleted: '2024-09-26T14:02:45Z',
    enrollmentSource: 'ADMIN_ENROLL',
  }),
};
