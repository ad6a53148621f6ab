import { serializeEnvelope } from './delivery-envelope';

describe('serializeEnvelope', () => {
  it('builds the documented envelope with data passed through verbatim', () => {
    const dataJson = '{"userId":4279332,"loId":"course:7374992","extra":{"nested":[1,2]}}';
    const body = serializeEnvelope(1010, [
      {
        eventId: 'e-1',
        eventName: 'COURSE_ENROLLMENT',
        timestamp: 1727414643000,
        eventInfo: 'i"nfo',
        dataJson,
      },
    ]);
    expect(JSON.parse(body.toString())).toEqual({
      accountId: 1010,
      events: [
        {
          eventId: 'e-1',
          eventName: 'COURSE_ENROLLMENT',
          timestamp: 1727414643000,
          eventInfo: 'i"nfo',
          data: JSON.parse(dataJson),
        },
      ],
    });
    expect(body.toString()).toContain(`"data":${dataJson}`);
  });

  it('keeps the order of a batch', () => {
    const events = ['a', 'b', 'c'].map((eventId, index) => ({
      eventId,
      eventName: 'LEARNER_PROGRESS',
      timestamp: index,
      eventInfo: '',
      dataJson: '{}',
    }));
    const parsed = JSON.parse(serializeEnvelope(7, events).toString()) as {
      events: Array<{ eventId: string }>;
    };
    expect(parsed.events.map((event) => event.eventId)).toEqual(['a', 'b', 'c']);
  });
});
