package knobs.reports;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A command line after the command name: positional arguments, options with one value each, and
 * flags, in any order. Every option may be given once; anything else is a {@link UsageException}
 * naming the command and the option.
 *
 * @param command    the command, for messages
 * @param positional positional arguments, in order
 * @param values     option → value
 * @param flags      flags given
 */
record Args(String command, List<String> positional, Map<String, String> values, Set<String> flags) {

    Args {
        positional = List.copyOf(positional);
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        flags = Collections.unmodifiableSet(new LinkedHashSet<>(flags));
    }

    /**
     * Parses arguments.
     *
     * @param valued options that take a value ({@code --out})
     * @param flags  options that take none ({@code --no-plots})
     */
    static Args parse(String command, List<String> args, Set<String> valued, Set<String> flags) throws UsageException {
        List<String> positional = new ArrayList<>();
        Map<String, String> values = new LinkedHashMap<>();
        Set<String> given = new LinkedHashSet<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                positional.add(arg);
            } else if (flags.contains(arg)) {
                if (!given.add(arg)) {
                    throw new UsageException(command + ": option " + arg + " given twice");
                }
            } else if (valued.contains(arg)) {
                if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                    throw new UsageException(command + ": option " + arg + " needs a value");
                }
                if (values.put(arg, args.get(++i)) != null) {
                    throw new UsageException(command + ": option " + arg + " given twice");
                }
            } else {
                List<String> known = new ArrayList<>(valued);
                known.addAll(flags);
                throw new UsageException(command + ": unknown option '" + arg + "'"
                        + (known.isEmpty() ? "" : "; allowed: " + String.join(", ", known)));
            }
        }
        return new Args(command, positional, values, given);
    }

    /** The value of an option, or null. */
    String value(String option) {
        return values.get(option);
    }

    /** The value of a required option. */
    String required(String option, String what) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            throw new UsageException(command + ": " + option + " " + what + " is required");
        }
        return v;
    }

    /** True when a flag was given. */
    boolean has(String flag) {
        return flags.contains(flag);
    }

    /**
     * A numeric option in an open interval, or its default.
     *
     * @param allowed the interval in words, for the message
     */
    double number(String option, double fallback, double above, double below, String allowed) throws UsageException {
        String v = values.get(option);
        if (v == null) {
            return fallback;
        }
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": " + option + " '" + v + "' is not a number; allowed: " + allowed);
        }
        if (!(d > above && d < below)) {
            throw new UsageException(command + ": " + option + " " + v + " is out of range; allowed: " + allowed);
        }
        return d;
    }
}
