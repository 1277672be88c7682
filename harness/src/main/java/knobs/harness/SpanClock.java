package knobs.harness;

import java.util.Arrays;

/**
 * Where {@link ComponentTimes} gets its time stamps: a mark is recorded at every span boundary
 * and read later, once it is {@link #ready}. On the CPU a mark is {@link System#nanoTime()}, ready
 * at once (libtorch's CPU ops are synchronous, so the host clock is the work's clock); on CUDA a
 * mark is an event recorded on the device's stream, ready once the device has reached it
 * ({@link CudaSpanClock}) — reading it earlier would need a sync between components, which the
 * profiler must not add. Marks are small integer handles, reused after {@link #reset()}. Used by one
 * thread at a time; not thread-safe.
 */
interface SpanClock extends AutoCloseable {
    /** Records a mark now (on CUDA: on the stream, after the work queued so far) and returns its handle. */
    int mark();

    /** Whether mark {@code handle} and every earlier mark can be read without waiting. */
    boolean ready(int handle);

    /** Waits until every mark recorded so far is ready. Only between iterations, never inside a step. */
    void awaitAll();

    /** Nanoseconds from mark {@code from} to mark {@code to}; both must be {@link #ready}. */
    long nanosBetween(int from, int to);

    /** Frees every handle for reuse; earlier handles must not be read afterwards. */
    void reset();

    /** Frees native resources (CUDA events); a no-op on the host. */
    @Override
    void close();

    /** The host clock: marks are {@link System#nanoTime()} readings, always ready. */
    static SpanClock host() {
        return new Host();
    }

    /** {@link System#nanoTime()} readings in a growing array. */
    final class Host implements SpanClock {
        private long[] times = new long[4096];
        private int used;

        @Override
        public int mark() {
            if (used == times.length) {
                times = Arrays.copyOf(times, 2 * used);
            }
            times[used] = System.nanoTime();
            return used++;
        }

        @Override
        public boolean ready(int handle) {
            return true;
        }

        @Override
        public void awaitAll() {
            // host readings are known when taken
        }

        @Override
        public long nanosBetween(int from, int to) {
            return times[to] - times[from];
        }

        @Override
        public void reset() {
            used = 0;
        }

        @Override
        public void close() {
            // nothing native
        }
    }
}
