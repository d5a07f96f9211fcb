/**
 * Keeps one page in flight while the previous one is being committed: a chain of dependent pages
 * then costs one round trip per page, not a round trip plus a store write.
 */
export async function* prefetched<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  try {
    for (;;) {
      const result = await pending;
      if (result.done) return;
      pending = iterator.next();
      // Rejections surface when awaited on the next turn; this only stops an "unhandled" report
      // when the consumer stops early.
      pending.catch(() => {});
      yield result.value;
    }
  } finally {
    await iterator.return?.();
  }
}
