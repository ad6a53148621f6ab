export const LO_TYPES = ['course', 'learningProgram', 'certification', 'jobAid'] as const;

export type LoType = (typeof LO_TYPES)[number];
