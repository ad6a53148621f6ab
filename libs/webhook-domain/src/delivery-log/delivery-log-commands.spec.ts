import { RedeliverCommand, ReplayCommand } from './delivery-log-commands';

const actor = { accountId: 1010, sub: 'alice' };

/** What `build` threw (a DomainError carries the refused fields in `details`). */
function thrown(build: () => unknown): (Error & { details?: unknown }) | undefined {
  try {
    build();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}

describe('ReplayCommand', () => {
  const replay = (fromMs: number, toMs: number) =>
    ReplayCommand.create({ actor, webhookId: 'w-1', fromMs, toMs });

  it('holds a range whose from is not after its to (one instant included)', () => {
    expect(replay(1_000, 2_000)).toMatchObject({ actor, webhookId: 'w-1', fromMs: 1_000, toMs: 2_000 });
    expect(replay(1_000, 1_000).toMs).toBe(1_000);
  });

  it('refuses from after to, naming from', () => {
    expect(thrown(() => replay(2_000, 1_000))?.details).toEqual([
      expect.objectContaining({ field: 'from', message: 'must not be after to' }),
    ]);
  });

  it('refuses an instant that is not a whole number of ms', () => {
    expect(thrown(() => replay(Number.NaN, 1_000))?.details).toEqual([
      expect.objectContaining({ field: 'from' }),
    ]);
    expect(thrown(() => replay(0, 1.5))?.details).toEqual([expect.objectContaining({ field: 'to' })]);
  });

  it('needs the verified actor and a webhook id', () => {
    const anonymous = { accountId: 0, sub: 'x' };
    expect(
      thrown(() => ReplayCommand.create({ actor: anonymous, webhookId: 'w', fromMs: 0, toMs: 1 }))?.message,
    ).toMatch(/verified actor/);
    expect(thrown(() => ReplayCommand.create({ actor, webhookId: '', fromMs: 0, toMs: 1 }))?.details).toEqual(
      [expect.objectContaining({ field: 'webhookId' })],
    );
  });
});

describe('RedeliverCommand', () => {
  it('holds the actor and the delivery', () => {
    expect(RedeliverCommand.create({ actor, deliveryId: 'd-1' })).toMatchObject({ actor, deliveryId: 'd-1' });
  });

  it('needs the verified actor and a delivery id', () => {
    const noSub = { accountId: 1, sub: '' };
    expect(thrown(() => RedeliverCommand.create({ actor: noSub, deliveryId: 'd' }))?.message).toMatch(
      /verified actor/,
    );
    expect(thrown(() => RedeliverCommand.create({ actor, deliveryId: '' }))?.details).toEqual([
      expect.objectContaining({ field: 'deliveryId' }),
    ]);
  });
});
