import type { ObjectStore } from '../../functions/lib/object-store';

/** An in-memory object store for the handler tests. */
export function memoryObjectStore(): ObjectStore & { keys(): string[] } {
  const objects = new Map<string, string>();
  return {
    async putJson(key, value) {
      objects.set(key, JSON.stringify(value));
    },
    async getJson<T>(key: string) {
      const text = objects.get(key);
      if (text === undefined) {
        const error = new Error(`NoSuchKey: ${key}`);
        error.name = 'NoSuchKey';
        throw error;
      }
      return JSON.parse(text) as T;
    },
    keys: () => [...objects.keys()].sort(),
  };
}
