package knobs.kernels;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts the FLOPs of the matmuls the kernels actually execute, from the tensor shapes at call
 * time (2 FLOPs per multiply-add). Tests use it to check {@link CostModel} exactly.
 *
 * <p>Counting is off unless a counter is open on the calling thread, so the hot path pays one
 * field read. Usage: {@code try (FlopCounter c = FlopCounter.open()) { model.forward(...); c.total(); }}
 */
public final class FlopCounter implements AutoCloseable {
    private static final ThreadLocal<FlopCounter> CURRENT = new ThreadLocal<>();
    /** Fast check for the hot path: non-zero while any counter is open on any thread. */
    private static volatile int openCounters;

    private final Map<String, Long> byCategory = new TreeMap<>();
    private final FlopCounter previous;

    private FlopCounter(FlopCounter previous) {
        this.previous = previous;
    }

    /** Opens a counter on this thread; close it to stop counting. */
    public static FlopCounter open() {
        FlopCounter c = new FlopCounter(CURRENT.get());
        CURRENT.set(c);
        synchronized (FlopCounter.class) {
            openCounters++;
        }
        return c;
    }

    /** Records {@code flops} under {@code category} if a counter is open on this thread. */
    static void record(String category, long flops) {
        FlopCounter c = CURRENT.get();
        if (c != null) {
            c.byCategory.merge(category, flops, Long::sum);
        }
    }

    /** True when some counter may be open; callers skip the shape reads otherwise. */
    static boolean active() {
        return openCounters != 0;
    }

    /** Total FLOPs counted so far. */
    public long total() {
        return byCategory.values().stream().mapToLong(Long::longValue).sum();
    }

    /** FLOPs counted so far per category (see {@link CostModel} for the category names). */
    public Map<String, Long> byCategory() {
        return new TreeMap<>(byCategory);
    }

    @Override
    public void close() {
        if (CURRENT.get() != this) {
            throw new IllegalStateException("FlopCounter closed out of order");
        }
        if (previous == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(previous);
        }
        synchronized (FlopCounter.class) {
            openCounters--;
        }
    }
}
