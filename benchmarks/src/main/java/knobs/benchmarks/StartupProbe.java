package knobs.benchmarks;

import java.lang.management.ManagementFactory;
import knobs.harness.Harness;
import knobs.harness.ModelStep;
import knobs.kernels.Gpt;
import knobs.kernels.Presets;

/**
 * What a benchmark fork pays before its first iteration: JVM start, libtorch natives loaded (from
 * the {@code ~/.javacpp/cache} extraction once it exists), thread pools and environment sidecar set
 * up, and the model built from its seed. Prints one line of milliseconds since the JVM started:
 * <pre>java -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -cp benchmarks.jar knobs.benchmarks.StartupProbe [MODEL]</pre>
 * {@code scripts/perf-targets.sh} runs it several times and reports the median (docs/performance.md).
 */
public final class StartupProbe {
    private StartupProbe() {
    }

    public static void main(String[] args) {
        long main = uptime();
        String model = args.length > 0 ? args[0] : "moe-cpu";
        if (args.length > 1 || !Presets.all().containsKey(model)) {
            System.err.println("StartupProbe: unknown model '" + model + "'; allowed: " + String.join(", ", Presets.all().keySet()));
            System.exit(2);
        }
        Harness.setUp("cpu");
        long natives = uptime();
        Gpt gpt = Gpt.create(Presets.get(model), ModelStep.SEED);
        long built = uptime();
        System.out.printf("startup model=%s jvm_to_main_ms=%d natives_and_setup_ms=%d model_ms=%d total_ms=%d params=%d%n",
                model, main, natives - main, built - natives, built, gpt.config().parameterCount());
    }

    private static long uptime() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }
}
