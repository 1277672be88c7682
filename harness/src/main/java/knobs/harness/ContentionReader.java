package knobs.harness;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Reads how busy the machine is from Linux's /proc, without root: CPU time of all CPUs and their
 * steal time ({@code /proc/stat}), this process's own CPU time ({@code /proc/self/stat}), the number
 * of runnable threads on the machine ({@code /proc/loadavg}) and in this process
 * ({@code /proc/self/task/*}/stat), and the involuntary context switches of given threads
 * ({@code /proc/self/task/TID/status}). Only the CPUs this process may run on
 * ({@code Cpus_allowed_list} of {@code /proc/self/status}) are counted.
 *
 * <p>A counter that cannot be read — no such file (not Linux, or an old kernel), no permission, a
 * line that does not parse — is an absent {@link Reading} carrying the reason, never a zero. The
 * /proc folder is a constructor argument so tests can read fixture folders.
 *
 * <p>A {@link Sample} costs a handful of small file reads plus one per thread of this process
 * (2–3 ms for a JVM of 60 threads on a 2-core machine, mostly the kernel formatting each thread's
 * stat file): take them between iterations, never inside the timed call. {@link Contention} turns two samples into an iteration's metrics.
 */
public final class ContentionReader {
    /** The real /proc. */
    public static final Path DEFAULT_ROOT = Paths.get("/proc");

    /** Counter: busy and total CPU time of the allowed CPUs ({@code /proc/stat} cpuN lines). */
    public static final String CPU_TIME = "cpu_time";
    /** Counter: steal time of the allowed CPUs ({@code /proc/stat}, 8th value, Linux ≥ 2.6.11). */
    public static final String STEAL = "steal";
    /** Counter: this process's user + system CPU time ({@code /proc/self/stat}). */
    public static final String OWN_CPU_TIME = "own_cpu_time";
    /** Counter: runnable threads on the machine ({@code /proc/loadavg} procs_running). */
    public static final String RUN_QUEUE = "run_queue";
    /** Counter: runnable threads of this process ({@code /proc/self/task/*}/stat state R). */
    public static final String OWN_RUNNING_THREADS = "own_running_threads";
    /** Counter: involuntary context switches of the benchmark thread(s) ({@code nonvoluntary_ctxt_switches}). */
    public static final String INVOLUNTARY_CS = "involuntary_cs";
    /** Counter: the CPUs this process may run on ({@code Cpus_allowed_list}); absent means all CPUs in /proc/stat. */
    public static final String CPU_AFFINITY = "cpu_affinity";

    private final Path root;
    private final LongSupplier clock;
    private final Set<Integer> allowedCpus; // null: every CPU listed in /proc/stat
    private final String affinityAbsent;

    /** Reads the /proc folder {@code root} (normally {@link #DEFAULT_ROOT}). */
    public ContentionReader(Path root) {
        this(root, System::nanoTime);
    }

    /** With a given clock for the samples' wall time, so tests can fix it. */
    ContentionReader(Path root, LongSupplier clock) {
        this.root = root;
        this.clock = clock;
        Reading<Set<Integer>> affinity = readAffinity();
        this.allowedCpus = affinity.present() ? affinity.value() : null;
        this.affinityAbsent = affinity.absent();
    }

    /**
     * A value read from /proc, or the reason it could not be read.
     *
     * @param <T>    the value's type
     * @param value  the value; null exactly when absent
     * @param absent why the counter is absent; null when present
     */
    public record Reading<T>(T value, String absent) {
        /** Exactly one of value and reason is given. */
        public Reading {
            if ((value == null) == (absent == null)) {
                throw new IllegalArgumentException("a reading has either a value or a reason for its absence");
            }
        }

        static <T> Reading<T> of(T value) {
            return new Reading<>(value, null);
        }

        static <T> Reading<T> absentBecause(String why) {
            return new Reading<>(null, why);
        }

        /** Whether the value was read. */
        public boolean present() {
            return absent == null;
        }

        /**
         * The value.
         *
         * @throws IllegalStateException when absent: an absent counter has no value, not zero
         */
        @Override
        public T value() {
            if (value == null) {
                throw new IllegalStateException("counter absent: " + absent);
            }
            return value;
        }
    }

    /**
     * CPU time of the allowed CPUs since boot, in clock ticks (USER_HZ).
     *
     * @param cpus  how many CPUs were summed
     * @param total user + nice + system + idle + iowait + irq + softirq + steal (guest time is already
     *              inside user and nice)
     * @param busy  user + nice + system + irq + softirq: time some process (or interrupt) ran
     * @param steal time a hypervisor ran something else while the CPUs wanted to run; absent when the
     *              lines have no 8th value
     */
    public record CpuTicks(int cpus, long total, long busy, Reading<Long> steal) {
    }

    /**
     * The counters at one moment.
     *
     * @param nanoTime      {@link System#nanoTime()} when the sample was taken
     * @param cpu           /proc/stat
     * @param ownTicks      this process's utime + stime, clock ticks
     * @param procsRunning  runnable threads on the machine, this sampling thread included
     * @param ownRunning    runnable threads of this process, this sampling thread included
     * @param involuntaryCs involuntary context switches summed over the requested threads
     */
    public record Sample(long nanoTime, Reading<CpuTicks> cpu, Reading<Long> ownTicks, Reading<Long> procsRunning,
                         Reading<Long> ownRunning, Reading<Long> involuntaryCs) {
    }

    /**
     * Reads every counter now.
     *
     * @param threads native thread ids (as in /proc/self/task) whose involuntary context switches to
     *                sum; empty makes that counter absent
     */
    public Sample sample(Collection<Long> threads) {
        return sample(threads, List.of());
    }

    /**
     * Reads every counter now, counting {@code companions} as part of this process: their CPU time is
     * added to {@code ownTicks} and their runnable threads to {@code ownRunning}, so work the benchmark
     * itself started (the local ranks of a distributed benchmark) is not counted as other processes'.
     *
     * @param threads    as in {@link #sample(Collection)}
     * @param companions process ids of child processes that belong to the benchmark; one that cannot be
     *                   read (it exited) makes the own counters absent in this sample
     */
    public Sample sample(Collection<Long> threads, Collection<Long> companions) {
        long now = clock.getAsLong();
        return new Sample(now, readCpu(), withCompanionTicks(readOwnTicks(), companions), readProcsRunning(),
                withCompanionRunning(readOwnRunning(), companions), readInvoluntary(threads));
    }

    private Reading<Long> withCompanionTicks(Reading<Long> own, Collection<Long> companions) {
        if (!own.present() || companions.isEmpty()) {
            return own;
        }
        long sum = own.value();
        for (long pid : companions) {
            Reading<Long> t = readTicks(root.resolve(Long.toString(pid)).resolve("stat"));
            if (!t.present()) {
                return Reading.absentBecause("benchmark child process " + pid + ": " + t.absent());
            }
            sum += t.value();
        }
        return Reading.of(sum);
    }

    private Reading<Long> withCompanionRunning(Reading<Long> own, Collection<Long> companions) {
        if (!own.present() || companions.isEmpty()) {
            return own;
        }
        long sum = own.value();
        for (long pid : companions) {
            Reading<Long> r = readRunning(root.resolve(Long.toString(pid)).resolve("task"));
            if (!r.present()) {
                return Reading.absentBecause("benchmark child process " + pid + ": " + r.absent());
            }
            sum += r.value();
        }
        return Reading.of(sum);
    }

    /**
     * Which counters can be read here: each counter name mapped to null when present, or to the
     * reason it is absent. Involuntary context switches are checked on the calling thread.
     */
    public Map<String, String> availability() {
        Sample s = sample(List.of());
        Map<String, String> m = new LinkedHashMap<>();
        m.put(CPU_TIME, s.cpu().absent());
        m.put(STEAL, s.cpu().present() ? s.cpu().value().steal().absent() : s.cpu().absent());
        m.put(OWN_CPU_TIME, s.ownTicks().absent());
        m.put(RUN_QUEUE, s.procsRunning().absent());
        m.put(OWN_RUNNING_THREADS, s.ownRunning().absent());
        Reading<Long> self = currentThreadId();
        m.put(INVOLUNTARY_CS, self.present() ? readInvoluntary(List.of(self.value())).absent() : self.absent());
        m.put(CPU_AFFINITY, affinityAbsent);
        return m;
    }

    /** Only the CPU counters of /proc/stat (cheaper than a whole {@link #sample}). */
    public Reading<CpuTicks> cpuTicks() {
        return readCpu();
    }

    /** The 1-minute load average, or empty when /proc/loadavg cannot be read. */
    public OptionalDouble loadAverage1m() {
        try {
            String[] t = Files.readString(root.resolve("loadavg"), StandardCharsets.US_ASCII).trim().split("\\s+");
            return OptionalDouble.of(Double.parseDouble(t[0]));
        } catch (IOException | NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }

    /**
     * The calling thread's native id, from the {@code /proc/thread-self} link (Linux ≥ 3.17), e.g.
     * {@code 4242/task/4250} gives 4250.
     */
    public Reading<Long> currentThreadId() {
        Path link = root.resolve("thread-self");
        try {
            Path target = Files.readSymbolicLink(link);
            return Reading.of(Long.parseLong(target.getFileName().toString()));
        } catch (IOException | UnsupportedOperationException e) {
            return Reading.absentBecause("cannot identify the benchmark thread: " + link + " is not a readable link"
                    + " (Linux >= 3.17): " + e.getClass().getSimpleName());
        } catch (NumberFormatException e) {
            return Reading.absentBecause("cannot identify the benchmark thread: " + link + " does not end in a thread id");
        }
    }

    private Reading<CpuTicks> readCpu() {
        Path file = root.resolve("stat");
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return Reading.absentBecause(unreadable(file, e));
        }
        int cpus = 0;
        long total = 0;
        long busy = 0;
        long steal = 0;
        String noSteal = null;
        for (String line : lines) {
            if (!line.startsWith("cpu") || line.startsWith("cpu ")) {
                continue; // the aggregate "cpu" line covers all CPUs, allowed or not: the cpuN lines are summed
            }
            String[] t = line.trim().split("\\s+");
            int id;
            long[] v;
            try {
                id = Integer.parseInt(t[0].substring(3));
                v = new long[t.length - 1];
                for (int i = 1; i < t.length; i++) {
                    v[i - 1] = Long.parseLong(t[i]);
                }
            } catch (NumberFormatException e) {
                return Reading.absentBecause(malformed(file, line, "'cpuN user nice system idle [iowait irq softirq steal ...]'"
                        + " with whole numbers"));
            }
            if (v.length < 4) {
                return Reading.absentBecause(malformed(file, line, "at least 4 values (user nice system idle) after the CPU name"));
            }
            if (allowedCpus != null && !allowedCpus.contains(id)) {
                continue;
            }
            cpus++;
            for (int i = 0; i < Math.min(v.length, 8); i++) {
                total += v[i];
            }
            busy += v[0] + v[1] + v[2] + (v.length > 5 ? v[5] : 0) + (v.length > 6 ? v[6] : 0);
            if (v.length >= 8) {
                steal += v[7];
            } else {
                noSteal = file + " has no steal value (8th) on '" + line + "' (Linux < 2.6.11)";
            }
        }
        if (cpus == 0) {
            return Reading.absentBecause(file + " lists none of the CPUs this process may run on"
                    + (allowedCpus == null ? "" : " " + new TreeSet<>(allowedCpus)) + " as a cpuN line");
        }
        return Reading.of(new CpuTicks(cpus, total, busy, noSteal == null ? Reading.of(steal) : Reading.absentBecause(noSteal)));
    }

    private Reading<Long> readOwnTicks() {
        return readTicks(root.resolve("self").resolve("stat"));
    }

    /** utime + stime of the process whose stat file this is. */
    private Reading<Long> readTicks(Path file) {
        String[] t;
        try {
            t = afterCommand(file, Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return Reading.absentBecause(unreadable(file, e));
        } catch (IllegalArgumentException e) {
            return Reading.absentBecause(e.getMessage());
        }
        // fields after "pid (comm)": state(3) ... utime(14) stime(15), so indexes 11 and 12
        if (t.length < 13 || !t[11].matches("\\d{1,18}") || !t[12].matches("\\d{1,18}")) {
            return Reading.absentBecause(malformed(file, String.join(" ", t), "utime and stime as the 14th and 15th fields"));
        }
        return Reading.of(Long.parseLong(t[11]) + Long.parseLong(t[12]));
    }

    private Reading<Long> readProcsRunning() {
        Path file = root.resolve("loadavg");
        String line;
        try {
            line = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return Reading.absentBecause(unreadable(file, e));
        }
        String[] t = line.split("\\s+");
        if (t.length < 4 || !t[3].matches("\\d{1,9}/\\d{1,9}")) {
            return Reading.absentBecause(malformed(file, line, "'load1 load5 load15 running/total lastpid'"));
        }
        return Reading.of(Long.parseLong(t[3].substring(0, t[3].indexOf('/'))));
    }

    private Reading<Long> readOwnRunning() {
        return readRunning(root.resolve("self").resolve("task"));
    }

    /** Runnable threads of the process whose task folder this is. */
    private Reading<Long> readRunning(Path tasks) {
        long running = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(tasks)) {
            for (Path task : dir) {
                Path stat = task.resolve("stat");
                String[] t;
                try {
                    t = afterCommand(stat, Files.readString(stat, StandardCharsets.US_ASCII));
                } catch (NoSuchFileException e) {
                    continue; // the thread ended while the folder was listed: it is not running
                } catch (IllegalArgumentException e) {
                    return Reading.absentBecause(e.getMessage());
                }
                if (t.length < 1 || t[0].length() != 1) {
                    return Reading.absentBecause(malformed(stat, String.join(" ", t), "a one-letter state after the command"));
                }
                if (t[0].equals("R")) {
                    running++;
                }
            }
        } catch (IOException e) {
            return Reading.absentBecause(unreadable(tasks, e));
        }
        return Reading.of(running);
    }

    /** Involuntary context switches summed over {@code threads} (cheaper than a whole {@link #sample}). */
    public Reading<Long> involuntaryCs(Collection<Long> threads) {
        return readInvoluntary(threads);
    }

    private Reading<Long> readInvoluntary(Collection<Long> threads) {
        if (threads.isEmpty()) {
            return Reading.absentBecause("no benchmark thread is known (it registers in Harness.setUp)");
        }
        long sum = 0;
        for (long tid : threads) {
            Path file = root.resolve("self").resolve("task").resolve(Long.toString(tid)).resolve("status");
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                return Reading.absentBecause(unreadable(file, e) + " (has the thread ended?)");
            }
            Reading<Long> v = field(file, lines, "nonvoluntary_ctxt_switches");
            if (!v.present()) {
                return v;
            }
            sum += v.value();
        }
        return Reading.of(sum);
    }

    private Reading<Set<Integer>> readAffinity() {
        Path file = root.resolve("self").resolve("status");
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return Reading.absentBecause(unreadable(file, e) + "; counting every CPU in /proc/stat");
        }
        for (String line : lines) {
            if (line.startsWith("Cpus_allowed_list:")) {
                String list = line.substring(line.indexOf(':') + 1).trim();
                try {
                    return Reading.of(cpuList(list));
                } catch (IllegalArgumentException e) {
                    return Reading.absentBecause(malformed(file, line, "a CPU list such as '0-3,8'") + "; counting every CPU in /proc/stat");
                }
            }
        }
        return Reading.absentBecause(file + " has no Cpus_allowed_list line; counting every CPU in /proc/stat");
    }

    /** Parses a kernel CPU list such as {@code 0-3,8,10-11}. */
    static Set<Integer> cpuList(String list) {
        Set<Integer> out = new TreeSet<>();
        for (String part : list.split(",")) {
            String[] range = part.trim().split("-", -1);
            if (range.length > 2 || !range[0].matches("\\d{1,5}") || (range.length == 2 && !range[1].matches("\\d{1,5}"))) {
                throw new IllegalArgumentException("not a CPU list: '" + list + "'");
            }
            int from = Integer.parseInt(range[0]);
            int to = range.length == 2 ? Integer.parseInt(range[1]) : from;
            if (to < from) {
                throw new IllegalArgumentException("not a CPU list: '" + list + "'");
            }
            for (int c = from; c <= to; c++) {
                out.add(c);
            }
        }
        return out;
    }

    /** A {@code Name:\tnumber} line of a status file. */
    private static Reading<Long> field(Path file, List<String> lines, String name) {
        String prefix = name + ":";
        for (String line : lines) {
            if (line.startsWith(prefix)) {
                String v = line.substring(prefix.length()).trim();
                if (!v.matches("\\d{1,18}")) {
                    return Reading.absentBecause(malformed(file, line, "'" + prefix + " <whole number>'"));
                }
                return Reading.of(Long.parseLong(v));
            }
        }
        return Reading.absentBecause(file + " has no " + prefix + " line");
    }

    /** The fields of a /proc stat line after {@code pid (command)}; the command may hold spaces and parentheses. */
    private static String[] afterCommand(Path file, String content) {
        int close = content.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException(malformed(file, content.strip(), "'pid (command) state ...'"));
        }
        String rest = content.substring(close + 1).trim();
        return rest.isEmpty() ? new String[0] : rest.split("\\s+");
    }

    private static String unreadable(Path file, IOException e) {
        return (e instanceof NoSuchFileException ? file + " does not exist" : "cannot read " + file + ": " + e.getMessage())
                + " (Linux /proc)";
    }

    private static String malformed(Path file, String line, String expected) {
        String shown = line.length() > 120 ? line.substring(0, 120) + "..." : line;
        return file + ": cannot parse '" + shown + "'; expected " + expected;
    }
}
