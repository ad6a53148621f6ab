import { EVENT_NAMES, findEventType } from './event-catalogue';
import { buildExampleEvent } from './build-example-event';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('buildExampleEvent', () => {
  it.each(EVENT_NAMES.map((name) => [name]))('builds a complete %s event from the catalogue', (name) => {
    const definition = findEventType(name)!;
    const event = buildExampleEvent(name);

    expect(event).toEqual({
      accountId: 1010,
      eventId: expect.stringMatching(UUID),
      eventName: name,
      realtime: definition.realtime,
      timestamp: expect.any(Number),
      eventInfo: `${event.timestamp}-${event.eventInfo.split('-')[1]}-${event.eventInfo.split('-')[2]}-0`,
      data: definition.example,
    });
    expect(event.eventInfo).toMatch(/^\d+-\d{6}-\d{5}-0$/);
  });

  it('stamps the current time in milliseconds and a fresh id each time', () => {
    const before = Date.now();
    const first = buildExampleEvent('COURSE_ENROLLMENT');
    const second = buildExampleEvent('COURSE_ENROLLMENT');

    expect(first.timestamp).toBeGreaterThanOrEqual(before);
    expect(first.timestamp).toBeLessThanOrEqual(Date.now());
    expect(first.eventId).not.toBe(second.eventId);
  });

  it('applies overrides, and eventInfo follows the overridden timestamp', () => {
    const event = buildExampleEvent('CI_STATS', {
      accountId: 77,
      eventId: 'evt-1',
      timestamp: 1727414643000,
    });

    expect(event).toMatchObject({ accountId: 77, eventId: 'evt-1', timestamp: 1727414643000 });
    expect(event.eventInfo).toMatch(/^1727414643000-\d{6}-\d{5}-0$/);
  });

  it('hands out data the caller may change without touching the catalogue', () => {
    const event = buildExampleEvent('COURSE_ENROLLMENT');
    event.data.userId = 1;

    expect(findEventType('COURSE_ENROLLMENT')!.example.userId).toBe(4279332);
  });
});
