/**
 * One pass over a message's JSON text, before anything parses or walks it:
 * - refuses nesting deeper than a limit, so no later step (JSON.stringify, validation, logging) can
 *   overflow the stack on a hostile record;
 * - finds the exact source text of each event's `data` member (the top-level `data` of a single
 *   event, or `events[i].data` of an envelope), so `data` reaches receivers byte for byte as the LMS
 *   produced it: numbers beyond 2^53, `1.0`, `1e3`, escapes and whitespace untouched.
 *
 * It is not a validator: JSON.parse runs after it and has the last word on syntax. On text it cannot
 * follow it reports `malformed` and lets JSON.parse explain. Iterative (an explicit stack), linear in
 * the text, no allocation per character.
 */
export type JsonScan =
  | { kind: 'scanned'; maxDepth: number; dataText: DataTextSpans }
  | { kind: 'too-deep'; depth: number }
  | { kind: 'malformed' };

/** `single` for a top-level `data`; `byEventIndex` for the `data` of each envelope event. */
export interface DataTextSpans {
  single: string | undefined;
  byEventIndex: ReadonlyMap<number, string>;
}

// Where a container sits in the LMS message shape: only these roles can hold a `data` we capture.
type Role = 'root' | 'events' | 'event' | 'other';

interface Frame {
  array: boolean;
  role: Role;
  /** Events: which element of `events` this object is. Arrays: the next element's index. */
  index: number;
  key: string | undefined;
  /** Set while the value of this object's `data` member is being read: where it started. */
  dataStart: number;
}

const isWhitespace = (code: number): boolean =>
  code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;

export function scanLmsJson(text: string, maxDepth: number): JsonScan {
  const stack: Frame[] = [];
  let single: string | undefined;
  const byEventIndex = new Map<number, string>();
  let deepest = 0;
  let position = skipWhitespace(text, 0);
  // What the parser expects next inside the current container.
  let expect: 'value' | 'key' | 'key-or-end' | 'value-or-end' | 'comma-or-end' | 'colon' = 'value';

  const valueEnded = (end: number): void => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return;
    if (parent.dataStart >= 0) {
      const dataText = text.slice(parent.dataStart, end);
      if (parent.role === 'root') single = dataText;
      else byEventIndex.set(parent.index, dataText);
      parent.dataStart = -1;
    }
    if (parent.array) parent.index++;
    expect = 'comma-or-end';
  };

  const roleOf = (array: boolean): Role => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) return array ? 'other' : 'root';
    if (parent.role === 'root' && parent.key === 'events' && array) return 'events';
    if (parent.role === 'events' && !array) return 'event';
    return 'other';
  };

  while (position < text.length) {
    const code = text.charCodeAt(position);
    if (isWhitespace(code)) {
      position++;
      continue;
    }
    const char = text[position];

    if (expect === 'colon') {
      if (char !== ':') return { kind: 'malformed' };
      expect = 'value';
      position++;
      continue;
    }
    if (expect === 'comma-or-end') {
      const top = stack[stack.length - 1];
      if (top === undefined) return { kind: 'malformed' }; // text after the root value
      if (char === ',') {
        expect = top.array ? 'value' : 'key';
        position++;
        continue;
      }
      if (char !== (top.array ? ']' : '}')) return { kind: 'malformed' };
      stack.pop();
      position++;
      valueEnded(position);
      if (stack.length === 0) expect = 'comma-or-end';
      continue;
    }
    if (expect === 'key' || expect === 'key-or-end') {
      const top = stack[stack.length - 1];
      if (expect === 'key-or-end' && char === '}') {
        stack.pop();
        position++;
        valueEnded(position);
        continue;
      }
      if (char !== '"') return { kind: 'malformed' };
      const end = stringEnd(text, position);
      if (end < 0) return { kind: 'malformed' };
      top.key = decodeKey(text, position, end);
      position = end;
      expect = 'colon';
      continue;
    }

    // A value (or, right after '[', the end of an empty array).
    if (expect === 'value-or-end' && char === ']') {
      stack.pop();
      position++;
      valueEnded(position);
      continue;
    }
    const parent = stack[stack.length - 1];
    if (parent !== undefined && !parent.array && parent.key === 'data') {
      if (parent.role === 'root' || parent.role === 'event') parent.dataStart = position;
    }
    if (char === '{' || char === '[') {
      const array = char === '[';
      const elementIndex = parent?.array ? parent.index : -1;
      stack.push({
        array,
        role: roleOf(array),
        index: array ? 0 : elementIndex,
        key: undefined,
        dataStart: -1,
      });
      if (stack.length > deepest) {
        deepest = stack.length;
        if (deepest > maxDepth) return { kind: 'too-deep', depth: deepest };
      }
      expect = array ? 'value-or-end' : 'key-or-end';
      position++;
      continue;
    }
    const end = char === '"' ? stringEnd(text, position) : scalarEnd(text, position);
    if (end <= position) return { kind: 'malformed' };
    position = end;
    valueEnded(position);
    if (stack.length === 0) expect = 'comma-or-end';
  }
  if (stack.length > 0) return { kind: 'malformed' };
  return { kind: 'scanned', maxDepth: deepest, dataText: { single, byEventIndex } };
}

function skipWhitespace(text: string, from: number): number {
  let position = from;
  while (position < text.length && isWhitespace(text.charCodeAt(position))) position++;
  return position;
}

/** Index just past the closing quote of the string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote >= 0) {
    // A quote preceded by an odd number of backslashes is escaped.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

/** Index just past a number, true, false or null (JSON.parse checks which it really is). */
function scalarEnd(text: string, start: number): number {
  let position = start;
  while (position < text.length) {
    const char = text[position];
    if (char === ',' || char === '}' || char === ']' || isWhitespace(text.charCodeAt(position))) break;
    if (char === '"' || char === '{' || char === '[' || char === ':') break;
    position++;
  }
  return position;
}

/** A key as JSON.parse will read it: `"d\u0061ta"` is `data` too. */
function decodeKey(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end - 1);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return raw; // JSON.parse will reject the whole message
  }
}
