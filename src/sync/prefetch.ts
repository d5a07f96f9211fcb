/**
 * Reads a chain of dependent pages ahead of the consumer: up to `depth` pages are requested before
 * the one being committed is finished. A chain of nextLinks then costs one round trip per page, not
 * a round trip plus a store write; and when the store falls behind (other streams' commits share the
 * event loop), the chain keeps Graph's pace and the store catches up from the pages held.
 */
export async function* prefetched<T>(source: AsyncIterable<T>, depth = 1): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const pending: Promise<IteratorResult<T>>[] = [];
  // An async generator queues the calls, so each starts when the one before it has its page.
  const ask = () => {
    const next = iterator.next();
    // Rejections surface when awaited in turn; this only stops an "unhandled" report when the
    // consumer stops early.
    next.catch(() => {});
    pending.push(next);
  };
  try {
    for (let i = 0; i < depth; i++) ask();
    for (;;) {
      const result = await (pending.shift() as Promise<IteratorResult<T>>);
      if (result.done) return;
      ask();
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
