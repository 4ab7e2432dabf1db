// Look-ups by a name the client chooses (a sort, a format, a file): only the map's own entries
// count. A plain `map[name]` also finds Object.prototype's members (`__proto__`, `constructor`,
// `toString`…), which once turned an unknown sort into a 500.

/** The map's own entry for `key`, or undefined. */
export function own<V>(map: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}
