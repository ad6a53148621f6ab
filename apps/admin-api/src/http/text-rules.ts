/** No control characters at all (names, usernames: single-line labels). */
export const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;
/** Multi-line text may hold tabs and newlines, never NUL or other controls (Postgres refuses NUL in text). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const NO_CONTROL_CHARACTERS_EXCEPT_WHITESPACE = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/u;
