package knobs.harness;

/**
 * Times a stretch of device work on the device's own clock, from inside a benchmark's timed
 * method: CUDA events on a GPU (the time the stream spent between the two markers, without the
 * host's launch latency before the first kernel or its wait after the last), the host's
 * {@code System.nanoTime} on the CPU, whose ops are synchronous. Reported beside JMH's wall time as
 * the {@code deviceNs} counter ({@link DeviceTimeCounters}). Reusable: start, stop, start, stop...
 * Created by {@link ComputeDevice#newTimer()}; not thread-safe.
 */
public interface DeviceTimer extends AutoCloseable {
    /** Marks the start (records an event on the device's current stream on CUDA). */
    void start();

    /**
     * Marks the end, waits for the device — this is the sync that belongs inside the timed region —
     * and returns the nanoseconds between the two marks.
     */
    long stopAndSync();

    /** Frees the device events (a no-op on the CPU). */
    @Override
    void close();
}
