import { tokenFromFragment } from './token-store';

describe('tokenFromFragment', () => {
  it('reads the token of a console URL fragment', () => {
    expect(tokenFromFragment('#token=aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
    expect(tokenFromFragment('#lang=en&token=aaa.bbb.ccc')).toBe('aaa.bbb.ccc');
  });

  it('finds none in an empty or unrelated fragment', () => {
    expect(tokenFromFragment('')).toBeUndefined();
    expect(tokenFromFragment('#token=')).toBeUndefined();
    expect(tokenFromFragment('#section')).toBeUndefined();
  });
});
