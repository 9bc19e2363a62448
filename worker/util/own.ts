/**
 * `record[key]` among the record's own properties only. A key that comes from outside (a client's media type or
 * flag, an upstream's error name, a key's model list) may be `toString`, `constructor` or `__proto__`: looked up in a
 * plain object, those find Object.prototype's members instead of nothing.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
