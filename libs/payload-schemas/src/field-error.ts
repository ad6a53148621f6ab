/** One problem with one field; `field` is a path such as `data.userId` or `events[2].eventId`. */
export interface FieldError {
  field: string;
  message: string;
}
