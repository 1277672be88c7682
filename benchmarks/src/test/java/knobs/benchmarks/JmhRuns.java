package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import knobs.harness.ContentionProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Short real JMH runs for smoke tests: one forked JVM, no warmup, one 100 ms iteration, results
 * as JSON in a temporary folder, environment sidecars beside them, failing on any benchmark error.
 * The contention profiler is on, as benchmarks.jar's main has it ({@link Main}).
 */
final class JmhRuns {
    private final Path dir;

    JmhRuns(Path dir) {
        this.dir = dir;
    }

    ChainedOptionsBuilder options(String include) {
        return new OptionsBuilder()
                .include(include)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100))
                .forks(1)
                .addProfiler(ContentionProfiler.class)
                .jvmArgsAppend("-Dknobs.env.dir=" + dir.resolve("knobs-env"))
                .shouldFailOnError(true)
                .resultFormat(ResultFormatType.JSON)
                .result(dir.resolve("result.json").toString())
                .output(dir.resolve("jmh.log").toString());
    }

    /** Runs and returns JMH's JSON results. */
    JsonNode run(ChainedOptionsBuilder o) throws Exception {
        new Runner(o.build()).run();
        return new ObjectMapper().readTree(dir.resolve("result.json").toFile());
    }

    /** Runs a configuration that must fail, and returns JMH's output, which holds the failure. */
    String failure(ChainedOptionsBuilder o) throws Exception {
        assertThrows(RunnerException.class, () -> new Runner(o.build()).run());
        return Files.readString(dir.resolve("jmh.log"), StandardCharsets.UTF_8);
    }

    /** A counter's value per invocation in the first iteration of the first fork. */
    static double perOp(JsonNode run, String counter) {
        double ops = run.at("/secondaryMetrics/ops/rawData/0/0").asDouble();
        assertTrue(ops >= 1, "no invocation counted");
        return run.at("/secondaryMetrics/" + counter + "/rawData/0/0").asDouble() / ops;
    }
}
