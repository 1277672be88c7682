package knobs.harness.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The other ranks of a one-machine group, as child JVMs of rank 0 (the JMH fork): ranks
 * 1..n−1 run {@link RankMain} on this JVM's class path with torchrun's variables, talking to rank 0
 * over 127.0.0.1. None outlives its parent: {@link #close} ends them (closing their stdin, then
 * destroying them), a shutdown hook destroys them if the parent JVM exits another way, and each
 * child exits by itself when its stdin reaches end-of-file or its parent's pid disappears (the
 * parent was killed: {@code RankMain}). Their output goes to a log per rank in a temporary folder,
 * whose last lines a failure quotes ({@link #describeFailure}); the folder is removed on close.
 */
public final class LocalRanks implements AutoCloseable {
    /** Environment variable naming the parent's pid: a child started by LocalRanks watches it. */
    public static final String PARENT_PID = "KNOBS_PARENT_PID";
    private static final int LOG_LINES = 8;

    private final DistEnv env;
    private final List<Process> children = new ArrayList<>();
    private final Path logs;
    private final Thread hook;

    private LocalRanks(DistEnv env, Path logs) {
        this.env = env;
        this.logs = logs;
        this.hook = new Thread(this::destroyAll, "knobs-ranks-shutdown");
    }

    /**
     * A free TCP port on 127.0.0.1, for the store when {@code MASTER_PORT} is not set. (Another
     * process could take it before rank 0 binds it; rank 0 then fails naming the port.)
     */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
        }
    }

    /**
     * Starts ranks 1..worldSize−1 of {@code rank0}'s group on this machine.
     *
     * @param rank0   rank 0's view of the group (its address must be this machine's)
     * @param timeout the bound each child applies to its waits ({@code KNOBS_DIST_TIMEOUT})
     */
    public static LocalRanks start(DistEnv rank0, Duration timeout) {
        Path logs;
        try {
            logs = Files.createTempDirectory("knobs-ranks-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a folder for the ranks' logs", e);
        }
        LocalRanks ranks = new LocalRanks(rank0, logs);
        Runtime.getRuntime().addShutdownHook(ranks.hook);
        try {
            for (int r = 1; r < rank0.worldSize(); r++) {
                ranks.children.add(ranks.launch(rank0.withRank(r), timeout));
            }
        } catch (RuntimeException e) {
            ranks.close();
            throw e;
        }
        return ranks;
    }

    private Process launch(DistEnv e, Duration timeout) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("-Xmx") || a.startsWith("-Dknobs.") || a.startsWith("-Dorg.bytedeco.")) {
                cmd.add(a);
            }
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(RankMain.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> vars = pb.environment();
        vars.putAll(e.toEnv());
        vars.put(DistEnv.TIMEOUT_ENV, Long.toString(timeout.toSeconds()));
        vars.put(PARENT_PID, Long.toString(ProcessHandle.current().pid()));
        pb.redirectErrorStream(true);
        pb.redirectOutput(log(e.rank()).toFile());
        pb.redirectInput(ProcessBuilder.Redirect.PIPE); // kept open: the child exits when it closes
        try {
            return pb.start();
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot start rank " + e.rank() + ": " + String.join(" ", cmd), ex);
        }
    }

    private Path log(int rank) {
        return logs.resolve("rank-" + rank + ".log");
    }

    /** The child JVM of each rank 1..n−1, index rank−1. */
    public List<ProcessHandle> processes() {
        return children.stream().map(Process::toHandle).toList();
    }

    /**
     * The ranks that have exited, each with its status and the last lines of its log; null when
     * all are running.
     */
    public String deaths() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < children.size(); i++) {
            Process p = children.get(i);
            if (!p.isAlive()) {
                b.append(b.length() == 0 ? "" : "; ").append("rank ").append(i + 1).append(" (pid ").append(p.pid())
                        .append(") exited with status ").append(status(p.exitValue())).append(tail(i + 1));
            }
        }
        return b.length() == 0 ? null : b.toString();
    }

    private static String status(int s) {
        return s > 128 && s < 160 ? s + " (killed by signal " + (s - 128) + ")" : Integer.toString(s);
    }

    private String tail(int rank) {
        try {
            List<String> lines = Files.readAllLines(log(rank), StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank() && !l.startsWith("[Gloo]")).toList();
            if (lines.isEmpty()) {
                return "";
            }
            return "; its last output: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - LOG_LINES), lines.size()));
        } catch (IOException e) {
            return "; its log " + log(rank) + " is unreadable: " + e.getMessage();
        }
    }

    /**
     * The message for a failure rank 0 saw: which child ranks died (waiting up to {@code grace}
     * for a dying one to be reaped), else that all still run, with rank 0's own error.
     */
    public String describeFailure(RuntimeException e, Duration grace) {
        long end = System.nanoTime() + grace.toNanos();
        String dead = deaths();
        while (dead == null && System.nanoTime() < end) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
            dead = deaths();
        }
        if (dead != null) {
            return dead + " (rank 0 saw: " + DistGroup.firstLine(e) + ")";
        }
        return DistGroup.firstLine(e) + " (ranks 1.." + (env.worldSize() - 1) + " are still running)";
    }

    /**
     * Ends the children: closes their stdin (a healthy child that already left the group exits at
     * once), waits up to 5 s, then destroys those left, forcibly if need be; removes the logs.
     */
    @Override
    public void close() {
        for (Process p : children) {
            try {
                p.getOutputStream().close();
            } catch (IOException e) {
                // the pipe is already gone: the child is exiting
            }
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Process p : children) {
            try {
                if (!p.waitFor(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    p.destroy();
                    if (!p.waitFor(2, TimeUnit.SECONDS)) {
                        p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                    }
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                destroyAll();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
        deleteLogs();
    }

    private void destroyAll() {
        for (Process p : children) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private void deleteLogs() {
        try (Stream<Path> s = Files.walk(logs)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary folder left behind is harmless; the run's result does not depend on it
        }
    }
}
