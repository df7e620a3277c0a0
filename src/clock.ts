/** Time comes from here, so tests can move it (e.g. the 10-day lapse) without real waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
