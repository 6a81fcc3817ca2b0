/** Runs `operation` repeatedly for about `seconds` after a short warm-up; returns runs/second. */
export async function perSecond(operation: () => unknown, seconds = 1.5): Promise<number> {
  const warmUpEnd = performance.now() + 200;
  while (performance.now() < warmUpEnd) await operation();
  let runs = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    await operation();
    runs += 1;
  }
  return runs / ((performance.now() - start) / 1000);
}
