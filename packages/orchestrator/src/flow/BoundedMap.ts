/** A Map that forgets its oldest entry when it would grow past `capacity`. */
export class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key)
  }

  set(key: K, value: V): void {
    if (!this.entries.has(key) && this.entries.size >= this.capacity) {
      this.entries.delete(this.entries.keys().next().value!)
    }
    this.entries.set(key, value)
  }

  /** Removes and returns the entry of `key`. */
  take(key: K): V | undefined {
    const value = this.entries.get(key)
    this.entries.delete(key)
    return value
  }
}
