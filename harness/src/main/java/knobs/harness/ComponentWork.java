package knobs.harness;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import knobs.kernels.Components;
import knobs.kernels.CostModel;

/**
 * The analytic work of one step per component, under the {@link Components} names the
 * {@link ComponentProfiler} times, so that each component gets its own achieved FLOP/s and bytes/s
 * and its own place on the roofline.
 *
 * <p>Taken from {@link CostModel.Cost#flopsByComponent()} and {@link CostModel.Cost#bytesByComponent()},
 * which split a step's totals by the span the work runs in (a forward-backward cost carries its
 * {@code backward} entry, see {@link CostModel#forwardBackward}). In a multimodal prefill the vision
 * encoder's components are renamed {@code vision.<name>} as the profiler names the spans nested in
 * the encoder ({@link ComponentTimes}); the encoder's own {@code vision} entry (patch embedding,
 * positions) keeps its name.
 *
 * @param flops FLOPs per component
 * @param bytes minimal bytes per component
 */
public record ComponentWork(Map<String, Long> flops, Map<String, Long> bytes) {
    public ComponentWork {
        flops = Collections.unmodifiableMap(new LinkedHashMap<>(flops));
        bytes = Collections.unmodifiableMap(new LinkedHashMap<>(bytes));
    }

    /** One step of a language model: a forward, or a forward-backward ({@link CostModel#forwardBackward}). */
    public static ComponentWork of(CostModel.Cost cost) {
        return new ComponentWork(cost.flopsByComponent(), cost.bytesByComponent());
    }

    /** A multimodal prefill: the vision encoder (as {@code vision.*}), the projector and the LLM prefill. */
    public static ComponentWork multimodal(CostModel.Multimodal cost) {
        Map<String, Long> f = new LinkedHashMap<>();
        Map<String, Long> b = new LinkedHashMap<>();
        addVision(f, cost.vision().flopsByComponent());
        addVision(b, cost.vision().bytesByComponent());
        for (CostModel.Cost stage : new CostModel.Cost[] {cost.projector(), cost.prefill()}) {
            stage.flopsByComponent().forEach((name, v) -> f.merge(name, v, Long::sum));
            stage.bytesByComponent().forEach((name, v) -> b.merge(name, v, Long::sum));
        }
        return new ComponentWork(f, b);
    }

    private static void addVision(Map<String, Long> into, Map<String, Long> encoder) {
        encoder.forEach((name, v) -> into.merge(name.equals(Components.VISION) ? name : ComponentTimes.VISION_PREFIX + name,
                v, Long::sum));
    }

    /** Total FLOPs over the components. */
    public long totalFlops() {
        return flops.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Total bytes over the components. */
    public long totalBytes() {
        return bytes.values().stream().mapToLong(Long::longValue).sum();
    }
}
