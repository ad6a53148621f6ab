import { boundedDetails } from './dead-letter-publisher';

describe('boundedDetails', () => {
  it('keeps every error when they fit', () => {
    const errors = [{ field: 'data.userId', message: 'must be a positive integer' }];
    expect(JSON.parse(boundedDetails(errors))).toEqual(errors);
  });

  it('stays valid JSON under 4000 characters when the errors are many', () => {
    const errors = Array.from({ length: 500 }, (_, index) => ({
      field: `events[${index}].data.loId`,
      message: 'is required',
    }));
    const details = boundedDetails(errors);
    expect(details.length).toBeLessThanOrEqual(4000);
    const kept = JSON.parse(details) as typeof errors;
    expect(kept.length).toBeGreaterThan(50);
    expect(kept).toEqual(errors.slice(0, kept.length));
  });
});
