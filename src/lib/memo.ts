// Answers remembered per process under (version, question), where the version is something cheap
// the caller reads from the database on every request (the rollup refresh version, the newest
// product change): a change made through any process or machine gives a new version, so it is
// seen at once, and nothing stale is served across processes. Per database handle; least
// recently used entries go.
import type { Db } from '../db/client.ts';

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
