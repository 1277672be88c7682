package knobs.benchmarks;

/**
 * A benchmark whose {@code @Param} values can be checked with no native library loaded and
 * nothing built. Its trial setup calls {@link #check()} first; benchmarks.jar's launcher
 * ({@link PreForkCheck}) sets the same fields on a fresh instance for every configuration of the
 * command line and calls it before any fork starts. One validation serves both, so a bad value
 * costs milliseconds and one line instead of a fork, and a fork started another way (an IDE,
 * {@code org.openjdk.jmh.Main}, the sweep runner) fails with the same message.
 */
public interface KnobCheck {
    /**
     * Checks this configuration's knob values against their documented domains (docs/knobs.md)
     * and, where the benchmark estimates one, its memory budget.
     *
     * @throws IllegalArgumentException naming the bad value and what is allowed
     */
    void check();
}
