import { halfOfMeasuredCapacity } from './soak-settings';

describe('halfOfMeasuredCapacity', () => {
  it('halves the throughput run of a bench results file', () => {
    expect(halfOfMeasuredCapacity({ results: { throughput: { eventsPerSecond: 8676 } } })).toBe(4338);
  });

  it('has no answer without a throughput run', () => {
    expect(halfOfMeasuredCapacity(undefined)).toBeUndefined();
    expect(halfOfMeasuredCapacity({ results: { scale: [] } })).toBeUndefined();
    expect(halfOfMeasuredCapacity({ results: { throughput: { eventsPerSecond: 0 } } })).toBeUndefined();
  });
});
