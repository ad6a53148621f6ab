import { Client } from 'pg';

/** The channel LaneRepository announces woken lanes on (`<webhookId>:<kind>:<epoch ms>`, at commit). */
export const LANE_WAKE_TEST_CHANNEL = 'lmsw_lane_wake';

export interface LaneAnnouncement {
  webhookId: string;
  kind: string;
  atMs: number;
}

/** What a LISTEN connection of the test's own heard on the lane wake-up channel, in order. */
export interface LaneWakeAnnouncements {
  readonly heard: LaneAnnouncement[];
  /** The announcements of one webhook's lanes, as `<kind>` strings in the order heard. */
  kindsOf(webhookId: string): string[];
  close(): Promise<void>;
}

/**
 * LISTENs on the lane wake-up channel of a test database, as a dispatcher does: what it hears is what
 * a committed transaction announced (Postgres delivers a NOTIFY only after its commit).
 */
export async function listenForLaneWakeUps(databaseUrl: string): Promise<LaneWakeAnnouncements> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'lmsw-test-lane-wake' });
  const heard: LaneAnnouncement[] = [];
  client.on('notification', (message) => {
    if (message.channel !== LANE_WAKE_TEST_CHANNEL) return;
    const [webhookId, kind, at] = (message.payload ?? '').split(':');
    heard.push({ webhookId, kind, atMs: Number(at) });
  });
  await client.connect();
  await client.query(`LISTEN ${LANE_WAKE_TEST_CHANNEL}`);
  return {
    heard,
    kindsOf: (webhookId) => heard.filter((a) => a.webhookId === webhookId).map((a) => a.kind),
    close: () => client.end(),
  };
}
