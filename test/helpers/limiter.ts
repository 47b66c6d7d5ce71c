/** Runs at most `n` of the jobs given to it at a time (the rest wait their turn, in order). */
export function limiter(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (job) => {
    while (active >= n) await new Promise<void>((r) => queue.push(r));
    active += 1;
    try {
      return await job();
    } finally {
      active -= 1;
      queue.shift()?.();
    }
  };
}
