import { DomainErrorCode } from '../errors/domain-error';
import { decodeDeliveryCursor, encodeDeliveryCursor } from './delivery-cursor';

describe('delivery cursor', () => {
  it('round-trips a Postgres timestamp with microseconds and an id', () => {
    const cursor = { createdAt: '2026-11-20 12:03:00.123456+00', id: '6f1b7c1e-9a2b-4c3d-8e4f-5a6b7c8d9e0f' };
    expect(decodeDeliveryCursor(encodeDeliveryCursor(cursor))).toEqual(cursor);
  });

  it.each([
    'garbage',
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from(JSON.stringify(['2026-11-20 12:03:00+00', 'not-a-uuid'])).toString('base64url'),
    Buffer.from(JSON.stringify(['2026-13-40 12:03:00+00', '6f1b7c1e-9a2b-4c3d-8e4f-5a6b7c8d9e0f'])).toString(
      'base64url',
    ),
    Buffer.from(
      JSON.stringify(["'; DROP TABLE deliveries; --", '6f1b7c1e-9a2b-4c3d-8e4f-5a6b7c8d9e0f']),
    ).toString('base64url'),
  ])('refuses %s as VALIDATION_FAILED on field cursor', (raw) => {
    expect(() => decodeDeliveryCursor(raw)).toThrow(
      expect.objectContaining({
        code: DomainErrorCode.VALIDATION_FAILED,
        details: [expect.objectContaining({ field: 'cursor' })],
      }),
    );
  });
});
