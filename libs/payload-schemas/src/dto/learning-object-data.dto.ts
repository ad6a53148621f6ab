import type { LoType } from '../lo-type';
import { LmsField } from '../validation/lms-field.decorator';

/** `data` of LEARNING_OBJECT_DRAFT, _DELETION, _MODIFICATION and _MODIFICATION_BATCH. */
export class LearningObjectData {
  @LmsField('loId') loId: string;
  @LmsField('loType') loType: LoType;
}
