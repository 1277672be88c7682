package knobs.reports.summary;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One measurement iteration of one fork: an element of {@code all_samples}.
 *
 * @param sampleId  position in {@code all_samples}, from 0
 * @param benchmark {@code ClassName.method}
 * @param params    typed params
 * @param mode      JMH mode
 * @param fork      fork index, from 0
 * @param iteration measurement iteration index within the fork, from 0
 * @param value     primary-metric value (for {@code sample} mode the iteration's mean)
 * @param unit      primary-metric unit
 * @param secondary raw secondary-metric values of this iteration, by name; aux counters are
 *                  iteration totals (divide by {@code ops} for per-operation values)
 * @param noise     GC pauses and JIT compilation that disturbed this iteration beyond
 *                  {@link NoiseMetrics#THRESHOLD}, or null (undisturbed, or not recorded)
 * @param times     this iteration's time per op and its components in milliseconds per op, under the
 *                  seed scripts' names ({@code T_total_ms}, {@code T_vision_ms}, {@code T_attention.qkv_ms};
 *                  {@link ComponentMetrics}), in the order {@code all_samples} writes them
 */
public record Sample(int sampleId, String benchmark, Params params, String mode, int fork, int iteration,
                     double value, String unit, SortedMap<String, Double> secondary, NoiseMetrics.SampleNoise noise,
                     Map<String, Double> times) {

    public Sample {
        secondary = Collections.unmodifiableSortedMap(new TreeMap<>(secondary));
        times = Collections.unmodifiableMap(new LinkedHashMap<>(times));
    }

    /** A sample without per-component times. */
    public Sample(int sampleId, String benchmark, Params params, String mode, int fork, int iteration,
                  double value, String unit, SortedMap<String, Double> secondary, NoiseMetrics.SampleNoise noise) {
        this(sampleId, benchmark, params, mode, fork, iteration, value, unit, secondary, noise, Map.of());
    }

    /** A sample without a noise assessment. */
    public Sample(int sampleId, String benchmark, Params params, String mode, int fork, int iteration,
                  double value, String unit, SortedMap<String, Double> secondary) {
        this(sampleId, benchmark, params, mode, fork, iteration, value, unit, secondary, null);
    }
}
