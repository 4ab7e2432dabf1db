// Figures read from the rollups change only when a refresh runs, and every refresh gets a new
// version (refresh.ts). So within one process they can be remembered under (version, question):
// every request still asks the database for the current version first, so a change made through
// any process or machine is seen at once. Per database handle; least recently used entries go.
import type { Db } from '../../db/client.ts';

const MAX_ENTRIES = 500;
const caches = new WeakMap<Db, Map<string, Promise<unknown>>>();

export function memo<T>(db: Db, version: string, key: string, load: () => Promise<T>): Promise<T> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, cache = new Map());
  const id = `${version}|${key}`;
  const hit = cache.get(id) as Promise<T> | undefined;
  if (hit) {
    // Map keeps insertion order: re-inserting marks the entry as recently used.
    cache.delete(id);
    cache.set(id, hit);
    return hit;
  }
  // The promise itself is kept, so concurrent requests for the same figures share one load; a
  // failed load is forgotten.
  const loading = load();
  cache.set(id, loading);
  loading.catch(() => cache.delete(id));
  while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return loading;
}
