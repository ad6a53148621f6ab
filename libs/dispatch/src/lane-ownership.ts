import type { LaneKey } from '@lms/webhook-domain';

/**
 * Which live dispatcher answers a lane's announcement: rendezvous hashing over the live driver numbers
 * (LaneRepository.liveDrivers). Every replica computes the same owner from the same list, a lane keeps
 * its owner while that owner lives, and when a dispatcher comes or goes only its share of lanes moves.
 * It only saves work: correctness rests on the lane's row lock, so two replicas that disagree for a
 * moment (one has a fresher list) both try the claim and one of them creates nothing.
 */
export function laneOwner(lane: LaneKey, drivers: readonly number[]): number | undefined {
  let owner: number | undefined;
  let best = -1;
  for (const driver of drivers) {
    const score = fnv1a(`${lane.webhookId}:${lane.kind}:${driver}`);
    if (score > best || (score === best && owner !== undefined && driver < owner)) {
      best = score;
      owner = driver;
    }
  }
  return owner;
}

/** 32-bit FNV-1a: small, fast and spread well enough for a few dozen replicas. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
