package knobs.harness;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.pytorch.cuda.CUDAEvent;
import org.bytedeco.pytorch.cuda.CUDAStream;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * {@link SpanClock} on a CUDA device: every mark is a timing-enabled CUDA event recorded on the
 * device's current stream, from a pool that grows to the marks of a few steps and is then reused.
 * A mark is read ({@code elapsed_time}) only once the device has passed it ({@code query}, which
 * does not wait), or between iterations after {@link #awaitAll()} — never with a sync inside a
 * step. In a class of its own, like {@link CudaEventTimer}, so that a CPU build never loads
 * {@code org.bytedeco.pytorch.cuda}.
 *
 * <p>Written against the presets' API; the CPU tests cover the accounting around it through
 * {@link SpanClock.Host} and a fake clock whose marks become ready late (see ComponentTimesTest).
 */
final class CudaSpanClock implements SpanClock {
    private final int index;
    private final List<CUDAEvent> events = new ArrayList<>();
    // The benchmark thread's current stream, looked up at the first mark (on that thread): the
    // benchmarks never switch streams, so it stays the stream their work is queued on.
    private CUDAStream stream;
    private int used;

    CudaSpanClock(int index) {
        this.index = index;
    }

    @Override
    public int mark() {
        if (stream == null) {
            stream = torch_cuda.getCurrentCUDAStream((byte) index);
        }
        if (used == events.size()) {
            events.add(new CUDAEvent(0)); // flags 0: timing enabled (the no-argument constructor disables it)
        }
        events.get(used).record(stream);
        return used++;
    }

    @Override
    public boolean ready(int handle) {
        // Events on one stream complete in order: when this one has, every earlier one has too.
        return events.get(handle).query();
    }

    @Override
    public void awaitAll() {
        if (used > 0) {
            events.get(used - 1).synchronize();
        }
    }

    @Override
    public long nanosBetween(int from, int to) {
        return Math.round(events.get(from).elapsed_time(events.get(to)) * 1e6);
    }

    @Override
    public void reset() {
        used = 0;
    }

    @Override
    public void close() {
        events.forEach(CUDAEvent::close);
        events.clear();
        if (stream != null) {
            stream.close();
            stream = null;
        }
        used = 0;
    }
}
