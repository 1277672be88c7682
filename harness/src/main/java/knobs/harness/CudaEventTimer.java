package knobs.harness;

import org.bytedeco.pytorch.cuda.CUDAEvent;
import org.bytedeco.pytorch.cuda.CUDAStream;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch_cuda;

/**
 * {@link DeviceTimer} on a CUDA device: a pair of CUDA events recorded on the device's current
 * stream. In a class of its own so that a CPU build, where {@code org.bytedeco.pytorch.cuda}
 * cannot initialise, never loads it ({@link ComputeDevice#newTimer()} creates it for CUDA devices only).
 */
final class CudaEventTimer implements DeviceTimer {
    private final int index;
    // Flags 0 (cudaEventDefault) keeps timing enabled; the no-argument constructor creates events
    // with timing disabled, whose elapsed_time throws.
    private final CUDAEvent begin = new CUDAEvent(0);
    private final CUDAEvent end = new CUDAEvent(0);
    // Looked up once, outside any timed region: the lookup allocates a wrapper, and the benchmarks
    // never switch streams, so the current stream of the device stays the same.
    private final CUDAStream stream;

    CudaEventTimer(int index) {
        this.index = index;
        this.stream = torch_cuda.getCurrentCUDAStream((byte) index);
    }

    @Override
    public void start() {
        begin.record(stream);
    }

    @Override
    public long stopAndSync() {
        end.record(stream);
        // Waits for all queued work of the device, as ComputeDevice.sync() does; end has then completed.
        torch.cuda_synchronize(index);
        float ms = begin.elapsed_time(end);
        return Math.round(ms * 1e6);
    }

    @Override
    public void close() {
        begin.close();
        end.close();
        stream.close();
    }
}
