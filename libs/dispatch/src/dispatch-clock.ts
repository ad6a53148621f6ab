/** The dispatcher's wall clock: when an attempt starts (its signature timestamp) and when the next is due. */
export type DispatchClock = () => Date;

/** Injection token for the clock; unset in the app (the system clock), a fixed one in unit specs. */
export const DISPATCH_CLOCK = Symbol('DISPATCH_CLOCK');

export const systemDispatchClock: DispatchClock = () => new Date();
