package knobs.benchmarks.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;

/**
 * JMH's machine-wide lock ({@code java.io.tmpdir/jmh.lock}), held by the sweep runner for the whole
 * sweep. JMH takes it so that two benchmark runs never share a machine; a sweep is many JMH runs,
 * so the runner takes it once, runs its children with {@code -Djmh.ignoreLock=true}, and another
 * JMH started meanwhile is refused instead of silently competing for the cores. When someone else
 * holds it, the sweep waits up to {@code --lock-wait} and then fails once, naming the lock file and
 * (from {@code /proc/locks}) the holder — not every configuration with a JMH stack frame.
 */
public final class JmhLock implements AutoCloseable {
    private final RandomAccessFile file;
    private final FileLock lock;

    private JmhLock(RandomAccessFile file, FileLock lock) {
        this.file = file;
        this.lock = lock;
    }

    /** The lock file JMH uses in this JVM. */
    public static Path path() {
        return Paths.get(System.getProperty("java.io.tmpdir"), "jmh.lock");
    }

    /** True when this JVM was asked to ignore JMH's lock (as JMH itself honours it). */
    public static boolean ignored() {
        return Boolean.getBoolean("jmh.ignoreLock");
    }

    /**
     * Takes the lock, polling until {@code wait} has passed.
     *
     * @throws SweepException ({@link SweepException#LOCKED}) when another process still holds it
     */
    public static JmhLock acquire(Path lockFile, Duration wait, PrintStream out) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        boolean told = false;
        while (true) {
            RandomAccessFile f;
            try {
                f = new RandomAccessFile(lockFile.toFile(), "rw");
            } catch (IOException e) {
                throw new SweepException(SweepException.LOCKED, "cannot open JMH's lock file " + lockFile + ": " + e.getMessage());
            }
            FileLock l = null;
            try {
                l = f.getChannel().tryLock();
            } catch (OverlappingFileLockException e) {
                l = null; // held by this very JVM: as busy as any other holder
            } catch (IOException e) {
                close(f);
                throw new SweepException(SweepException.LOCKED, "cannot lock JMH's lock file " + lockFile + ": " + e.getMessage());
            }
            if (l != null) {
                return new JmhLock(f, l);
            }
            close(f);
            String holder = holder(lockFile);
            if (System.nanoTime() >= deadline) {
                throw new SweepException(SweepException.LOCKED, "another JMH run holds JMH's lock " + lockFile + holder
                        + (wait.isZero() ? "; wait for it to end, or pass --lock-wait DURATION (e.g. 30m) to wait for it"
                        : "; waited " + SweepRunner.format(wait.toNanos()) + " — pass a longer --lock-wait, or end that run"));
            }
            if (!told) {
                out.println("waiting up to " + SweepRunner.format(wait.toNanos()) + " for JMH's lock " + lockFile + holder);
                told = true;
            }
            Thread.sleep(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }

    /**
     * ", held by process 123 (java -jar benchmarks.jar …)" from {@code /proc/locks}, or "" where that
     * cannot be told (no /proc, another PID namespace).
     */
    static String holder(Path lockFile) {
        try {
            Object ino = Files.getAttribute(lockFile, "unix:ino");
            Path locks = Paths.get("/proc/locks");
            if (!Files.isReadable(locks)) {
                return "";
            }
            List<String> lines = Files.readAllLines(locks, StandardCharsets.US_ASCII);
            for (String line : lines) {
                String[] w = line.trim().split("\\s+");
                // "1: POSIX  ADVISORY  WRITE 8626 fe:00:2154499 0 EOF"
                if (w.length >= 6 && w[5].endsWith(":" + ino)) {
                    long pid = Long.parseLong(w[4]);
                    String cmd = ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).orElse("");
                    if (cmd.length() > 160) {
                        cmd = cmd.substring(0, 157) + "...";
                    }
                    return ", held by process " + pid + (cmd.isEmpty() ? "" : " (" + cmd + ")");
                }
            }
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return ""; // the holder is a courtesy; the lock file is named either way
        }
        return "";
    }

    private static void close(RandomAccessFile f) {
        try {
            f.close();
        } catch (IOException e) {
            // nothing was locked through it
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        file.close();
    }
}
