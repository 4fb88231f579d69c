/** What an environment started (stand-ins), stopped last first: at `stop()`, or when starting it fails half-way. */
export interface Teardown {
  add(stop: () => Promise<void>): void;
  /** Stops everything, last started first. */
  stopAll(): Promise<void>;
  /** Stops everything after a failed start, ignoring their errors so the start's own error is the one thrown. */
  stopAllQuietly(): Promise<void>;
}

export function teardown(): Teardown {
  const stops: Array<() => Promise<void>> = [];
  const lastFirst = () => [...stops].reverse();
  return {
    add: (stop) => {
      stops.push(stop);
    },
    stopAll: async () => {
      for (const stop of lastFirst()) await stop();
    },
    stopAllQuietly: async () => {
      for (const stop of lastFirst()) await stop().catch(() => {});
    },
  };
}
