import type { LoType } from '../lo-type';
import { LmsField } from '../validation/lms-field.decorator';

/** `data` of LEARNING_OBJECT_INSTANCE_MODIFICATION(_BATCH) and LEARNING_OBJECT_INSTANCE_DELETION. */
export class LearningObjectInstanceData {
  @LmsField('loInstanceId') loInstanceId: string;
  @LmsField('loId') loId: string;
  @LmsField('loType') loType: LoType;
}
