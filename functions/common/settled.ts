/**
 * Two independent AWS calls of one record, sent side by side: one round trip instead of two on the
 * record's critical path.
 */

/**
 * Both results once BOTH settled; the first failure (in argument order) if either failed. Unlike
 * `Promise.all`, it never reports a failure while the other call is still running, so nothing of a
 * record runs on after its failure is reported (and its redelivery does not race with it).
 */
export async function bothSettled<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === "rejected") throw first.reason;
  if (second.status === "rejected") throw second.reason;
  return [first.value, second.value];
}
