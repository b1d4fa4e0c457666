/**
 * Independent AWS calls of one record, sent side by side: one round trip instead of two on the
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

/**
 * Runs `work` beside `early`, a write already started for the same record (e.g. a contact stub),
 * which `work` may await where it needs it, and fails when either fails, always after both settled:
 * - `early` is observed at once, so its failure while `work` still runs is not an unhandled rejection;
 * - when `work` fails, `early` is awaited before the failure is passed on (as in {@link bothSettled},
 *   nothing of the record runs on after its failure is reported), and `work`'s error is the one reported;
 * - when `work` succeeds, `early`'s failure fails the record: it is never lost.
 */
export async function withEarlyWrite<E, R>(early: Promise<E>, work: (early: Promise<E>) => Promise<R>): Promise<R> {
  early.catch(() => undefined);
  let result: R;
  try {
    result = await work(early);
  } catch (error) {
    await early.catch(() => undefined);
    throw error;
  }
  await early;
  return result;
}
