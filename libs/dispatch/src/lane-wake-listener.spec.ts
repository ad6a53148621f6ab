import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import type { ClaimedRequest, LaneKey, LaneRepository, WokenLane } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import type { LaneAdvancer } from './lane-advancer';
import type { LaneDriver } from './lane-driver';
import { LaneDriverIdentity } from './lane-driver-identity';
import { LaneWakeListener, parseLaneWakeUp } from './lane-wake-listener';
import { laneOwner } from './lane-ownership';

const HOOK = '4b3f1c2e-8d7a-4f7e-9a51-0c2b9e6d1a11';

describe('parseLaneWakeUp', () => {
  it('reads <webhookId>:<kind>:<ms> and refuses anything else', () => {
    expect(parseLaneWakeUp(`${HOOK}:REALTIME:1764700000123`)).toEqual({
      webhookId: HOOK,
      kind: 'REALTIME',
      announcedAtMs: 1764700000123,
    });
    expect(parseLaneWakeUp(`${HOOK}:BATCH:1`)?.kind).toBe('BATCH');
    expect(parseLaneWakeUp(`${HOOK}:OTHER:1`)).toBeNull();
    expect(parseLaneWakeUp(`not-a-uuid:REALTIME:1`)).toBeNull();
    expect(parseLaneWakeUp(undefined)).toBeNull();
  });
});

describe('LaneWakeListener: what it does with a wake-up', () => {
  function listenerWith(concurrency: number, stuck: WokenLane[] = [], drivers: number[] = []) {
    const orphanQueries: Array<number | null> = [];
    const claims: LaneKey[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const advancer = {
      claim: async (lane: LaneKey): Promise<ClaimedRequest[]> => {
        claims.push(lane);
        await gate;
        return [];
      },
    } as unknown as LaneAdvancer;
    const driven: ClaimedRequest[][] = [];
    const driver = {
      drive: async (claimed: ClaimedRequest[]) => void driven.push(claimed),
      noteMoreWork: () => false,
    } as unknown as LaneDriver;
    const lanes = {
      stuckLanes: async () => stuck,
      pendingOfDeadDrivers: async (_limit: number, except: number | null) => {
        orphanQueries.push(except);
        return [];
      },
      liveDrivers: async () => drivers,
    } as unknown as LaneRepository;
    const queued: unknown[] = [];
    const queue = { addBulk: async (jobs: unknown[]) => void queued.push(...jobs) } as unknown as Queue;
    const identity = new LaneDriverIdentity();
    const listener = new LaneWakeListener(
      { concurrency, shutdownGraceMs: 1_000, database: { url: 'postgres://unused' } } as DispatcherConfig,
      advancer,
      driver,
      identity,
      lanes,
      queue,
      new Metrics(),
    );
    const announce = (payload: string) =>
      (listener as unknown as { onAnnouncement(payload: string): void }).onAnnouncement(payload);
    return { listener, claims, driven, queued, announce, release, identity, orphanQueries };
  }

  it('claims an announced lane once while its claim is under way, then drives what it claimed', async () => {
    const { listener, claims, driven, announce, release } = listenerWith(10);

    announce(`${HOOK}:REALTIME:${Date.now()}`);
    announce(`${HOOK}:REALTIME:${Date.now()}`);
    expect(claims).toEqual([{ webhookId: HOOK, kind: 'REALTIME' }]);

    release();
    await listener.beforeApplicationShutdown();
    expect(driven).toEqual([[]]);
  });

  it('hands a wake-up to the queue when this dispatcher already drives as many lanes as its concurrency', async () => {
    const other = '5c4f1c2e-8d7a-4f7e-9a51-0c2b9e6d1a22';
    const { listener, claims, queued, announce, release } = listenerWith(1);

    announce(`${HOOK}:REALTIME:1`);
    announce(`${other}:REALTIME:1`);

    expect(claims).toHaveLength(1);
    expect(queued).toEqual([
      expect.objectContaining({ name: 'advance-lane', data: { webhookId: other, kind: 'REALTIME' } }),
    ]);
    release();
    await listener.beforeApplicationShutdown();
  });

  it('sweeps the busy lanes nobody moves and claims each', async () => {
    const stuck: WokenLane[] = [{ webhookId: HOOK, kind: 'BATCH', activation: '7' }];
    const { listener, claims, release, identity, orphanQueries } = listenerWith(10, stuck);

    // Without its own lock it cannot tell dead drivers' requests from its own: it leaves them.
    expect(await listener.sweep()).toBe(1);
    expect(orphanQueries).toEqual([]);
    identity.holdsLock = true;
    await listener.sweep();
    expect(orphanQueries).toEqual([identity.driver]);
    expect(claims).toEqual([{ webhookId: HOOK, kind: 'BATCH' }]);
    release();
    await listener.beforeApplicationShutdown();
    expect(await listener.sweep()).toBe(0); // stopped: nothing more
  });

  it('leaves an announced lane to the live dispatcher that owns it, and answers its own lanes', async () => {
    const lanesToTry = Array.from(
      { length: 40 },
      (_, index) => `${index.toString(16).padStart(8, '0')}-8d7a-4f7e-9a51-0c2b9e6d1a11`,
    );
    const { listener, claims, release, identity } = listenerWith(100, []);
    const drivers = [identity.driver, identity.driver + 1].sort((a, b) => a - b);
    (listener as unknown as { liveDrivers: number[] }).liveDrivers = drivers;
    const announce = (webhookId: string) =>
      (listener as unknown as { onAnnouncement(payload: string): void }).onAnnouncement(
        `${webhookId}:REALTIME:1`,
      );

    for (const webhookId of lanesToTry) announce(webhookId);

    const mine = lanesToTry.filter(
      (webhookId) => laneOwner({ webhookId, kind: 'REALTIME' }, drivers) === identity.driver,
    );
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.length).toBeLessThan(lanesToTry.length);
    expect(claims.map((lane) => lane.webhookId)).toEqual(mine);
    release();
    await listener.beforeApplicationShutdown();
  });
});
