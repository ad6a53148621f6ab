import type { Language } from './catalogue';

/**
 * What each event means, per language. The English ones are the server's own (GET /event-types; a
 * unit test keeps them equal), so the API and the console never describe an event differently. An
 * event the console does not know yet shows the server's text.
 */
export const EVENT_DESCRIPTIONS: Record<Language, Record<string, string>> = {
  en: {
    CI_STATS: 'Seat usage of a course instance changed (enrollments, seat limit, waitlist).',
    COURSE_ENROLLMENT: 'A learner enrolled in a course instance.',
    COURSE_COMPLETED: 'A learner completed a course instance.',
    LEARNING_PATH_ENROLLMENT: 'A learner enrolled in a learning path.',
    LEARNING_PATH_COMPLETED: 'A learner completed a learning path.',
    CERTIFICATION_ENROLLMENT: 'A learner enrolled in a certification.',
    CERTIFICATION_COMPLETED: 'A learner completed a certification.',
    COURSE_UNENROLLMENT: 'A learner was unenrolled from a course instance.',
    LEARNING_PATH_UNENROLLMENT: 'A learner was unenrolled from a learning path.',
    CERTIFICATION_UNENROLLMENT: 'A learner was unenrolled from a certification.',
    LEARNING_OBJECT_DRAFT: 'A learning object was created as a draft.',
    LEARNING_OBJECT_DELETION: 'A learning object was deleted.',
    LEARNING_OBJECT_MODIFICATION: 'A learning object was modified.',
    LEARNING_OBJECT_INSTANCE_MODIFICATION: 'A learning object instance was modified.',
    LEARNING_OBJECT_INSTANCE_DELETION: 'A learning object instance was deleted.',
    LEARNING_PATH_COMPLETION_ROLLBACK: "A learner's learning-path completion was rolled back.",
    COURSE_ENROLLMENT_BATCH:
      'Learners were enrolled in a course instance by an admin, a manager or the platform.',
    COURSE_COMPLETED_BATCH: 'Course completions recorded in bulk (e.g. marked complete by an admin).',
    LEARNING_PATH_ENROLLMENT_BATCH:
      'Learners were enrolled in a learning path by an admin, a manager or the platform.',
    LEARNING_PATH_COMPLETED_BATCH: 'Learning-path completions recorded in bulk.',
    CERTIFICATION_ENROLLMENT_BATCH:
      'Learners were enrolled in a certification by an admin, a manager or the platform.',
    CERTIFICATION_COMPLETED_BATCH: 'Certification completions recorded in bulk.',
    LEARNER_PROGRESS: "A learner's progress in a learning object changed (may be delayed up to 15 minutes).",
    COURSE_UNENROLLMENT_BATCH: 'Learners were unenrolled from a course instance in bulk.',
    LEARNING_PATH_UNENROLLMENT_BATCH: 'Learners were unenrolled from a learning path in bulk.',
    CERTIFICATION_UNENROLLMENT_BATCH: 'Learners were unenrolled from a certification in bulk.',
    LEARNING_OBJECT_MODIFICATION_BATCH: 'Learning objects were modified in bulk.',
    LEARNING_OBJECT_INSTANCE_MODIFICATION_BATCH: 'Learning object instances were modified in bulk.',
    LEARNING_PATH_COMPLETION_ROLLBACK_BATCH: 'Learning-path completions were rolled back in bulk.',
  },
  'zh-CN': {
    CI_STATS: '课程实例的席位使用情况发生变化（报名人数、席位上限、候补名单）。',
    COURSE_ENROLLMENT: '学员报名了课程实例。',
    COURSE_COMPLETED: '学员完成了课程实例。',
    LEARNING_PATH_ENROLLMENT: '学员报名了学习路径。',
    LEARNING_PATH_COMPLETED: '学员完成了学习路径。',
    CERTIFICATION_ENROLLMENT: '学员报名了认证。',
    CERTIFICATION_COMPLETED: '学员完成了认证。',
    COURSE_UNENROLLMENT: '学员被取消了课程实例的报名。',
    LEARNING_PATH_UNENROLLMENT: '学员被取消了学习路径的报名。',
    CERTIFICATION_UNENROLLMENT: '学员被取消了认证的报名。',
    LEARNING_OBJECT_DRAFT: '学习对象已创建为草稿。',
    LEARNING_OBJECT_DELETION: '学习对象已被删除。',
    LEARNING_OBJECT_MODIFICATION: '学习对象已被修改。',
    LEARNING_OBJECT_INSTANCE_MODIFICATION: '学习对象实例已被修改。',
    LEARNING_OBJECT_INSTANCE_DELETION: '学习对象实例已被删除。',
    LEARNING_PATH_COMPLETION_ROLLBACK: '学员的学习路径完成记录已被撤销。',
    COURSE_ENROLLMENT_BATCH: '管理员、经理或平台将多名学员报名到课程实例。',
    COURSE_COMPLETED_BATCH: '批量记录的课程完成（例如由管理员标记为完成）。',
    LEARNING_PATH_ENROLLMENT_BATCH: '管理员、经理或平台将多名学员报名到学习路径。',
    LEARNING_PATH_COMPLETED_BATCH: '批量记录的学习路径完成。',
    CERTIFICATION_ENROLLMENT_BATCH: '管理员、经理或平台将多名学员报名到认证。',
    CERTIFICATION_COMPLETED_BATCH: '批量记录的认证完成。',
    LEARNER_PROGRESS: '学员在学习对象中的进度发生变化（最多可能延迟 15 分钟）。',
    COURSE_UNENROLLMENT_BATCH: '批量取消学员的课程实例报名。',
    LEARNING_PATH_UNENROLLMENT_BATCH: '批量取消学员的学习路径报名。',
    CERTIFICATION_UNENROLLMENT_BATCH: '批量取消学员的认证报名。',
    LEARNING_OBJECT_MODIFICATION_BATCH: '批量修改了学习对象。',
    LEARNING_OBJECT_INSTANCE_MODIFICATION_BATCH: '批量修改了学习对象实例。',
    LEARNING_PATH_COMPLETION_ROLLBACK_BATCH: '批量撤销了学习路径完成记录。',
  },
};

export function describeEvent(event: { name: string; description: string }, language: Language): string {
  return EVENT_DESCRIPTIONS[language][event.name] ?? event.description;
}
