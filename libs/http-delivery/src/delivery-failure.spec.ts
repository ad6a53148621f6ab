import { DeliveryFailure, DeliveryFailureCode } from './delivery-failure';

describe('DeliveryFailure', () => {
  it('keeps what a listener put into an error text storable: no NUL, no control characters, bounded', () => {
    const failure = DeliveryFailure.connectionFailed(
      `certificate for evil\u0000name${'x'.repeat(5000)}`,
      'EPROTO',
    );
    expect(failure.code).toBe(DeliveryFailureCode.CONNECTION_FAILED);
    expect(failure.text).not.toContain('\u0000');
    expect(failure.text.startsWith('EPROTO: certificate for evil\\u0000name')).toBe(true);
    expect(failure.text.length).toBeLessThanOrEqual(1024);
    expect(failure.message).not.toContain('\u0000');
  });
});
