import { scanLmsJson } from './scan-lms-json';

describe('scanLmsJson', () => {
  it('finds a single event data text exactly, whitespace inside kept and around it dropped', () => {
    const scan = scanLmsJson('{"eventId":"x","data" :  { "a" : 1.0 }  , "z":[]}', 8);

    expect(scan).toEqual({
      kind: 'scanned',
      maxDepth: 2,
      dataText: { single: '{ "a" : 1.0 }', byEventIndex: new Map() },
    });
  });

  it('captures only top-level and events[i] data, not data deeper inside', () => {
    const scan = scanLmsJson(
      '{"accountId":1,"events":[{"data":{"data":{"x":1}}},{"meta":{"data":2},"data":"s\\"}"},[{"data":3}]]}',
      8,
    );

    expect(scan.kind === 'scanned' && [...scan.dataText.byEventIndex]).toEqual([
      [0, '{"data":{"x":1}}'],
      [1, '"s\\"}"'],
    ]);
    expect(scan.kind === 'scanned' && scan.dataText.single).toBeUndefined();
  });

  it('reads an escaped key as JSON.parse does', () => {
    const scan = scanLmsJson('{"d\\u0061ta":[1, 2]}', 8);

    expect(scan.kind === 'scanned' && scan.dataText.single).toBe('[1, 2]');
  });

  it('stops at the first level beyond the limit', () => {
    expect(scanLmsJson(`${'['.repeat(100_000)}`, 10)).toEqual({ kind: 'too-deep', depth: 11 });
  });

  it.each(['{"a":1}}', '{"a" 1}', '{"a":1', '[1,]x', '{"a":"unterminated', '{1:2}', '{"a":1,}x'])(
    'reports %s as malformed instead of throwing',
    (text) => {
      expect(scanLmsJson(text, 8)).toEqual({ kind: 'malformed' });
    },
  );
});
