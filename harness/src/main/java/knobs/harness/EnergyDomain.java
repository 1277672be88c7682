package knobs.harness;

/**
 * One hardware energy counter: a RAPL zone (a CPU package or its DRAM) or an NVIDIA GPU. Readings
 * are raw counter values in the counter's own unit; {@link #joules} turns two of them into the
 * energy spent in between, handling the counter's wrap-around.
 */
interface EnergyDomain {
    /** Short name used in metric labels, e.g. {@code package-0}, {@code dram}, {@code gpu-0}. */
    String label();

    /** Where the counter is read from, for messages (a sysfs path, an NVML device). */
    String source();

    /** The counter's current raw value. */
    long read();

    /** Joules spent between two readings taken in this order. */
    double joules(long before, long after);
}
