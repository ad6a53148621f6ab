import { DomainError } from '../errors/domain-error';
import { RedeliverCommand, ReplayCommand } from './delivery-log-commands';

const actor = { accountId: 1010, sub: 'alice' };

function refusal(build: () => unknown): unknown {
  try {
    build();
    return undefined;
  } catch (error) {
    return error instanceof DomainError ? error.details : (error as Error).message;
  }
}

describe('ReplayCommand', () => {
  const replay = (fromMs: number, toMs: number) =>
    ReplayCommand.create({ actor, webhookId: 'w-1', fromMs, toMs });

  it('holds a range whose from is not after its to (one instant included)', () => {
    expect(replay(1_000, 2_000)).toMatchObject({ actor, webhookId: 'w-1', fromMs: 1_000, toMs: 2_000 });
    expect(replay(1_000, 1_000).toMs).toBe(1_000);
  });

  it('refuses from after to, naming from', () => {
    expect(refusal(() => replay(2_000, 1_000))).toEqual([
      expect.objectContaining({ field: 'from', message: 'must not be after to' }),
    ]);
  });

  it('refuses an instant that is not a whole number of ms', () => {
    expect(refusal(() => replay(Number.NaN, 1_000))).toEqual([expect.objectContaining({ field: 'from' })]);
    expect(refusal(() => replay(0, 1.5))).toEqual([expect.objectContaining({ field: 'to' })]);
  });

  it('needs the verified actor and a webhook id', () => {
    expect(
      refusal(() =>
        ReplayCommand.create({ actor: { accountId: 0, sub: 'x' }, webhookId: 'w', fromMs: 0, toMs: 1 }),
      ),
    ).toMatch(/verified actor/);
    expect(refusal(() => ReplayCommand.create({ actor, webhookId: '', fromMs: 0, toMs: 1 }))).toEqual([
      expect.objectContaining({ field: 'webhookId' }),
    ]);
  });
});

describe('RedeliverCommand', () => {
  it('holds the actor and the delivery', () => {
    expect(RedeliverCommand.create({ actor, deliveryId: 'd-1' })).toMatchObject({ actor, deliveryId: 'd-1' });
  });

  it('needs the verified actor and a delivery id', () => {
    expect(
      refusal(() => RedeliverCommand.create({ actor: { accountId: 1, sub: '' }, deliveryId: 'd' })),
    ).toMatch(/verified actor/);
    expect(refusal(() => RedeliverCommand.create({ actor, deliveryId: '' }))).toEqual([
      expect.objectContaining({ field: 'deliveryId' }),
    ]);
  });
});
