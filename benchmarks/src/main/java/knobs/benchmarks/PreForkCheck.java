package knobs.benchmarks;

import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import knobs.harness.MemoryBudget;
import knobs.harness.Threads;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * What benchmarks.jar checks before it starts any fork: every configuration JMH would run (the
 * selected benchmarks' {@code @Param} defaults with the command line's {@code -p} values, expanded
 * as JMH expands them) through its benchmark's own {@link KnobCheck}, on a fresh instance whose
 * fields are set from the strings as JMH's generated code sets them. No native library is loaded,
 * so a bad value costs milliseconds. Also rejected: a {@code -p} name no selected benchmark has (JMH
 * would silently ignore it) and a pattern that selects nothing.
 *
 * <p>The memory budget is checked with the {@code -Dknobs.memory.limit} a fork would see, read from
 * the JVM arguments JMH will give it; so are the thread aliases {@code -Dknobs.threads} and
 * {@code -Dknobs.intraop.threads} against the {@link ThreadKnobs} params. Besides the benchmark
 * class, the {@code @State} classes its setup takes are checked when they are {@link KnobCheck}s.
 */
final class PreForkCheck {
    private PreForkCheck() {
    }

    /**
     * The problems of this command line, one message per distinct problem, each naming the
     * benchmark class and the bad value; empty when every configuration passes.
     *
     * @param options   the parsed command line
     * @param paramNames the names given with {@code -p}, in order
     * @param list      the benchmarks in the jar
     */
    static List<String> problems(Options options, Collection<String> paramNames, BenchmarkList list) {
        return problems(options, paramNames, list, true);
    }

    /**
     * {@link #problems(Options, Collection, BenchmarkList)}, with or without the memory budget (which
     * depends on the machine the forks run on, not on the command line).
     */
    static List<String> problems(Options options, Collection<String> paramNames, BenchmarkList list, boolean memoryBudget) {
        SortedSet<BenchmarkListEntry> entries = selected(options, list);
        Set<String> problems = new LinkedHashSet<>();
        if (entries.isEmpty()) {
            problems.add("no benchmark matches " + (options.getIncludes().isEmpty() ? "" : String.join(" ", options.getIncludes()) + " ")
                    + "(list them with -l)");
            return List.copyOf(problems);
        }
        Set<String> known = new TreeSet<>();
        for (BenchmarkListEntry e : entries) {
            known.addAll(e.getParams().orElse(Collections.emptyMap()).keySet());
        }
        for (String name : paramNames) {
            if (!known.contains(name)) {
                problems.add("-p " + name + ": no selected benchmark has this parameter; "
                        + (known.isEmpty() ? "they have none" : "they have: " + String.join(", ", known)));
            }
        }
        Set<String> seen = new LinkedHashSet<>();
        for (BenchmarkListEntry e : entries) {
            Class<?> type = benchmarkClass(e);
            List<Class<?>> checked = checkedStates(type);
            if (checked.isEmpty()) {
                continue;
            }
            Map<String, String> forkProperties = new LinkedHashMap<>();
            for (String name : FORK_PROPERTIES) {
                forkProperties.put(name, forkProperty(options, e, name));
            }
            if (!memoryBudget) {
                forkProperties.put(MemoryBudget.PROPERTY, Long.toString(Long.MAX_VALUE));
            }
            for (Map<String, String> config : configurations(e, options)) {
                if (seen.add(type.getName() + config)) { // the methods of one class share its checks
                    for (Class<?> state : checked) {
                        String problem = withProperties(forkProperties, () -> problem(state, config));
                        if (problem != null) {
                            problems.add(type.getSimpleName() + ": " + problem);
                            break;
                        }
                    }
                }
            }
        }
        return List.copyOf(problems);
    }

    /** The system properties a check reads as the fork will see them: the memory limit and the thread aliases. */
    private static final List<String> FORK_PROPERTIES = List.of(MemoryBudget.PROPERTY, Threads.BLAS_PROPERTY, Threads.INTRAOP_PROPERTY);

    /**
     * The {@link KnobCheck} states of a benchmark class: the class itself, then the {@code @State}
     * classes its trial setup takes (such as {@link ThreadKnobs}), each checked on a fresh instance.
     */
    static List<Class<?>> checkedStates(Class<?> type) {
        List<Class<?>> out = new ArrayList<>();
        if (KnobCheck.class.isAssignableFrom(type)) {
            out.add(type);
        }
        for (java.lang.reflect.Method m : type.getMethods()) {
            if (m.isAnnotationPresent(Setup.class) || m.isAnnotationPresent(Benchmark.class)) {
                for (Class<?> p : m.getParameterTypes()) {
                    if (KnobCheck.class.isAssignableFrom(p) && p.isAnnotationPresent(State.class) && !out.contains(p)) {
                        out.add(p);
                    }
                }
            }
        }
        return out;
    }

    /** The benchmarks the command line's patterns select. */
    static SortedSet<BenchmarkListEntry> selected(Options options, BenchmarkList list) {
        return list.find(OutputFormatFactory.createFormatInstance(new PrintStream(OutputStream.nullOutputStream()), VerboseMode.SILENT),
                options.getIncludes(), options.getExcludes());
    }

    /**
     * The thread aliases as params: for {@code -Dknobs.threads} / {@code -Dknobs.intraop.threads} as
     * the forks will see them (this JVM's own, inherited, or from {@code -jvmArgs*}), the
     * {@code -p blasThreads=V} / {@code -p intraOpThreads=V} to add so that the results are keyed by
     * the counts the forks apply. A bad alias value, or a {@code -p} that disagrees with the alias, is
     * a problem (one line each), and nothing is added for it.
     *
     * @param problems receives the problems
     * @return the arguments to put before the command line's (empty when no alias is set)
     */
    static List<String> aliasParams(Options options, BenchmarkList list, List<String> problems) {
        SortedSet<BenchmarkListEntry> entries = selected(options, list);
        List<String> add = new ArrayList<>();
        int cpus = Runtime.getRuntime().availableProcessors();
        String[][] aliases = {{Threads.BLAS_PROPERTY, Threads.BLAS_PARAM}, {Threads.INTRAOP_PROPERTY, Threads.INTRAOP_PARAM}};
        for (String[] alias : aliases) {
            String property = alias[0];
            String param = alias[1];
            Set<String> values = new LinkedHashSet<>();
            boolean hasParam = false;
            for (BenchmarkListEntry e : entries) {
                if (e.getParams().orElse(Collections.emptyMap()).containsKey(param)) {
                    hasParam = true;
                    values.add(String.valueOf(forkProperty(options, e, property)));
                }
            }
            values.remove("null");
            if (!hasParam || values.isEmpty()) {
                continue;
            }
            if (values.size() > 1) {
                problems.add("-D" + property + " is " + String.join(" in some forks and ", values)
                        + " in others (their @Fork JVM arguments differ); give -p " + param + "=VALUE instead");
                continue;
            }
            String value = values.iterator().next();
            try {
                if (param.equals(Threads.BLAS_PARAM)) {
                    Threads.chooseBlas("-D" + property, value, cpus, Double.NaN);
                } else {
                    Threads.chooseIntraOp("-D" + property, value, cpus);
                }
                if (options.getParameter(param).hasValue()) {
                    for (String v : options.getParameter(param).get()) {
                        Threads.checkAlias(param, v, property, value);
                    }
                } else {
                    add.add("-p");
                    add.add(param + "=" + Threads.normalized(value));
                }
            } catch (IllegalArgumentException ex) {
                problems.add(ex.getMessage());
            }
        }
        return add;
    }

    /** Every combination of parameter values JMH would run for {@code e}, in JMH's order. */
    static List<Map<String, String>> configurations(BenchmarkListEntry e, Options options) {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Map.Entry<String, String[]> p : e.getParams().orElse(Collections.emptyMap()).entrySet()) {
            Collection<String> values = options.getParameter(p.getKey()).orElse(List.of(p.getValue()));
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> partial : out) {
                for (String v : values) {
                    Map<String, String> m = new LinkedHashMap<>(partial);
                    m.put(p.getKey(), v);
                    next.add(m);
                }
            }
            out = next;
        }
        return out;
    }

    /** The problem of one configuration for one checked state class, or null when it passes its check. */
    private static String problem(Class<?> type, Map<String, String> config) {
        if (!usedBy(type, config)) {
            return null; // a state that only some methods of the class take (Calibration.ReadSize), not this one
        }
        KnobCheck benchmark;
        try {
            benchmark = (KnobCheck) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate " + type.getName() + " as JMH would", e);
        }
        try {
            for (Map.Entry<String, String> p : config.entrySet()) {
                Field f = paramField(type, p.getKey());
                if (f != null) { // else the parameter belongs to another @State class
                    f.set(benchmark, convert(p.getKey(), p.getValue(), f.getType()));
                }
            }
            benchmark.check();
            return null;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("@Param fields of " + type.getName() + " must be public, as JMH needs", e);
        } catch (RuntimeException e) {
            Main.debug(e);
            return e instanceof IllegalArgumentException ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    /**
     * Whether a configuration belongs to a benchmark that takes this {@code @State}: JMH puts every
     * {@code @Param} of each state a benchmark takes into its configurations, so a state with a param
     * the configuration lacks is not one of them.
     */
    private static boolean usedBy(Class<?> state, Map<String, String> config) {
        for (Field f : state.getFields()) {
            if (f.isAnnotationPresent(Param.class) && !config.containsKey(f.getName())) {
                return false;
            }
        }
        return true;
    }

    private static Field paramField(Class<?> type, String name) {
        try {
            Field f = type.getField(name);
            return f.isAnnotationPresent(Param.class) ? f : null;
        } catch (NoSuchFieldException e) {
            return null;
        }
    }

    /**
     * A {@code @Param} string as the field's type, as JMH's generated code converts it
     * ({@code Integer.valueOf}, ...); a value JMH could not convert is an error naming it.
     */
    static Object convert(String name, String value, Class<?> type) {
        try {
            if (type == String.class) {
                return value;
            } else if (type == int.class || type == Integer.class) {
                return Integer.valueOf(value);
            } else if (type == long.class || type == Long.class) {
                return Long.valueOf(value);
            } else if (type == short.class || type == Short.class) {
                return Short.valueOf(value);
            } else if (type == byte.class || type == Byte.class) {
                return Byte.valueOf(value);
            } else if (type == double.class || type == Double.class) {
                return Double.valueOf(value);
            } else if (type == float.class || type == Float.class) {
                return Float.valueOf(value);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "=" + value + " is not " + (type == double.class || type == Double.class
                    || type == float.class || type == Float.class ? "a number" : "an integer") + " (" + type.getSimpleName() + ")");
        }
        if (type == boolean.class || type == Boolean.class) {
            if (!value.equals("true") && !value.equals("false")) {
                throw new IllegalArgumentException(name + "=" + value + " is not allowed: must be true or false");
            }
            return Boolean.valueOf(value);
        }
        if (type == char.class || type == Character.class) {
            if (value.length() != 1) {
                throw new IllegalArgumentException(name + "=" + value + " is not allowed: must be one character");
            }
            return value.charAt(0);
        }
        if (type.isEnum()) {
            for (Object c : type.getEnumConstants()) {
                if (((Enum<?>) c).name().equals(value)) {
                    return c;
                }
            }
            List<String> allowed = new ArrayList<>();
            for (Object c : type.getEnumConstants()) {
                allowed.add(((Enum<?>) c).name());
            }
            throw new IllegalArgumentException(name + "=" + value + " is not allowed; allowed: " + String.join(", ", allowed));
        }
        throw new IllegalStateException("@Param " + name + " has type " + type.getName() + ", which JMH does not support");
    }

    /**
     * The value of {@code -Dname} in the JVM arguments JMH gives a fork of {@code e}: the prepended
     * ones, then {@code -jvmArgs} (else the benchmark's, else this JVM's own), then the appended
     * ones, command line over annotation; the last {@code -D} wins. Null when none sets it.
     */
    static String forkProperty(Options options, BenchmarkListEntry e, String name) {
        List<String> args = new ArrayList<>(options.getJvmArgsPrepend().orElse(e.getJvmArgsPrepend().orElse(List.of())));
        args.addAll(options.getJvmArgs().orElse(e.getJvmArgs().orElse(ManagementFactory.getRuntimeMXBean().getInputArguments())));
        args.addAll(options.getJvmArgsAppend().orElse(e.getJvmArgsAppend().orElse(List.of())));
        String prefix = "-D" + name + "=";
        String value = null;
        for (String a : args) {
            if (a.startsWith(prefix)) {
                value = a.substring(prefix.length());
            }
        }
        return value;
    }

    /** Runs {@code body} with the system properties set to these values (cleared when null), then restores them. */
    private static <T> T withProperties(Map<String, String> values, java.util.function.Supplier<T> body) {
        Map<String, String> before = new LinkedHashMap<>();
        values.keySet().forEach(name -> before.put(name, System.getProperty(name)));
        values.forEach(PreForkCheck::set);
        try {
            return body.get();
        } finally {
            before.forEach(PreForkCheck::set);
        }
    }

    private static void set(String name, String value) {
        if (value == null) {
            System.clearProperty(name);
        } else {
            System.setProperty(name, value);
        }
    }

    private static Class<?> benchmarkClass(BenchmarkListEntry e) {
        try {
            return Class.forName(e.getUserClassQName(), false, PreForkCheck.class.getClassLoader());
        } catch (ClassNotFoundException ex) {
            throw new IllegalStateException("the benchmark list names " + e.getUserClassQName() + ", which is not in this jar", ex);
        }
    }
}
