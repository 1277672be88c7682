package knobs.benchmarks;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import knobs.harness.ContentionProfiler;
import knobs.harness.Harness;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Utils;

/**
 * A JDK class-data-sharing archive (AppCDS, a JDK 13+ dynamic archive) of what a benchmark fork
 * loads before its first iteration — JMH's fork side, the ~1 800 JNI classes of the PyTorch
 * presets, the harness, Jackson for the environment sidecar — so that every fork maps those
 * classes parsed and verified instead of loading them from the 120 MB jar (docs/performance.md §5).
 *
 * <p>An archive is only valid for the exact class path it was made with (the jar's path, size and
 * modification time) and the exact JVM, so the launcher keeps one per (jar's real path, size,
 * mtime, {@code java.home}, JVM version) in a cache folder ({@code -Dknobs.cds.cache=DIR}, default
 * {@code $XDG_CACHE_HOME/knobs/cds} or {@code ~/.cache/knobs/cds}). When the one for this jar is
 * missing, the launcher makes it once, before any fork, with a short training run of the real fork
 * path (a child JVM runs {@code ModelSize size=tiny pass=train_step} in one JMH fork that dumps
 * its classes at exit), checks that a JVM maps it ({@code -Xshare:on}), and renames it into place,
 * so launchers that start together never see half an archive; they wait on a lock file for the one
 * that creates it. The forks then get {@code -XX:SharedArchiveFile=F -Xshare:auto}: a JVM that
 * cannot use the archive (a flag of the user's that changes the heap layout, such as
 * {@code -Xmx64g}) starts without it, and {@code -Xlog:cds=off,cds+dynamic=off} keeps it from
 * saying so in every fork.
 *
 * <p>Nothing here fails a run: an archive that cannot be made is one {@code knobs: note:} line on
 * stderr and the forks start as before. A failed creation leaves {@code F.failed} (its reason) and
 * {@code F.log} (the training run's output) beside where the archive would be; later launches with
 * the same jar say so in one line instead of trying again, until the marker is deleted.
 * {@code -Dknobs.cds=off} turns all of it off. Created at run time rather than by the build,
 * so that a jar copied to another path or machine, or run with another JDK, gets its own archive.
 */
public final class ClassDataArchive {
    /** {@code -Dknobs.cds=on|off} of the launching JVM (default on). */
    public static final String SWITCH_PROPERTY = "knobs.cds";
    /** {@code -Dknobs.cds.cache=DIR}: the archives' folder. */
    public static final String CACHE_PROPERTY = "knobs.cds.cache";
    /** How long a training run may take (seconds); also how long a launcher waits for another's. */
    static final long TRAINING_TIMEOUT_S = 300;
    /** Archives kept in the cache folder (the newest); older ones, for other jars or JVMs, are deleted. */
    static final int KEEP = 8;
    /**
     * Changes when the training run or the archive's flags change, so that archives made the old
     * way are not reused.
     */
    static final String TRAINING_VERSION = "1";
    /** JVM arguments that decide whether (or how) a fork uses class-data sharing; a user's own wins, so none is added. */
    private static final Pattern USER_CDS_FLAG = Pattern.compile(
            "-Xshare:.*|.*SharedArchiveFile.*|.*ArchiveClassesAtExit.*|.*SharedClassListFile.*|.*DumpLoadedClassList.*|.*UseSharedSpaces.*");
    /** Keeps a JVM that rejects the archive (or the dump's skipped classes) from printing a warning. */
    static final String QUIET = "-Xlog:cds=off,cds+dynamic=off";

    private ClassDataArchive() {
    }

    /** What the training run does: writes a dynamic archive for {@code jar} to {@code archive}, its output to {@code log}. */
    interface Trainer {
        /**
         * @throws Failure with the reason when no usable archive was written
         */
        void train(Path jar, Path archive, Path log) throws Failure, IOException, InterruptedException;
    }

    /** Why no archive was made; {@code retry} when the cause passes (another JMH run held the lock). */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;
        final boolean retry;

        Failure(String reason, boolean retry) {
            super(reason);
            this.retry = retry;
        }
    }

    /**
     * The cache key: the jar as the forks' class path names it (its real path), its size and
     * modification time, and the JVM the forks run.
     */
    record Key(Path jar, long size, long mtimeNanos, String jvm) {
        static Key of(Path jar) throws IOException {
            Path real = jar.toRealPath();
            long mtime = Files.getLastModifiedTime(real).to(TimeUnit.NANOSECONDS);
            return new Key(real, Files.size(real), mtime, jvmIdentity());
        }

        /** {@code benchmarks-<jar path hash>-<everything hash>.jsa}: one jar's archives share the prefix. */
        String fileName() {
            return prefix() + sha256(jar + "\n" + size + "\n" + mtimeNanos + "\n" + jvm + "\n" + TRAINING_VERSION).substring(0, 16) + ".jsa";
        }

        String prefix() {
            return "benchmarks-" + sha256(jar.toString()).substring(0, 12) + "-";
        }
    }

    /** The JVM a fork runs (JMH's default: this one): its home, version and VM. */
    static String jvmIdentity() {
        return System.getProperty("java.home") + "|" + System.getProperty("java.vm.vendor") + "|" + System.getProperty("java.vm.name")
                + "|" + System.getProperty("java.vm.version") + "|" + System.getProperty("os.arch");
    }

    /**
     * Whether the switch is on.
     *
     * @throws IllegalArgumentException naming the value when it is neither on nor off
     */
    static boolean enabled(String value) {
        if (value == null || value.equals("on")) {
            return true;
        }
        if (value.equals("off")) {
            return false;
        }
        throw new IllegalArgumentException("-D" + SWITCH_PROPERTY + "=" + value + " is not allowed; allowed: on (the default: forks map a"
                + " class-data archive of this jar, made once), off");
    }

    /**
     * The JVM arguments to put before every fork's own: the archive's, made first if it is missing,
     * or none where it does not apply (switched off, not run from one jar, a fork JVM other than
     * this one, no forks, the user's own class-data flags) or cannot be made (one note).
     *
     * @param options     the run's options
     * @param inputArgs   this launcher's JVM arguments (the forks' default {@code -jvmArgs})
     * @param notes       receives the one line when no archive could be made, or that one was made
     * @throws IllegalArgumentException when {@code -Dknobs.cds} has a value other than on or off
     */
    static List<String> forkArgs(Options options, List<String> inputArgs, Consumer<String> notes) {
        if (!enabled(System.getProperty(SWITCH_PROPERTY))) {
            return List.of();
        }
        Path jar = launcherJar();
        if (jar == null || !appliesTo(options, inputArgs)) {
            return List.of();
        }
        Path archive = ensure(jar, cacheDir(), new ForkTrainer(inputArgs), notes);
        return archive == null ? List.of() : useArgs(archive);
    }

    /**
     * The forks' flags that map {@code archive}. Not {@code -XX:ArchiveRelocationMode=0} (map at the
     * archive's own address instead of relocating it): it made JVM-to-main ~0.1 s shorter but the
     * whole start longer here (docs/performance.md §5).
     */
    static List<String> useArgs(Path archive) {
        return List.of("-XX:SharedArchiveFile=" + archive, "-Xshare:auto", QUIET);
    }

    /** {@link #launcherJar(String, String)} of this JVM. */
    static Path launcherJar() {
        java.security.CodeSource source = Main.class.getProtectionDomain().getCodeSource();
        try {
            return launcherJar(System.getProperty("java.class.path"), source == null ? null : Paths.get(source.getLocation().toURI()));
        } catch (java.net.URISyntaxException | RuntimeException e) { // not a file: not the jar
            return null;
        }
    }

    /**
     * The jar the forks' class path is, or null when it is not one jar holding this launcher (an
     * IDE's or a test's class folders, surefire's manifest-only jar): the only case an archive fits.
     *
     * @param classPath    {@code java.class.path}
     * @param launcherPath where {@link Main} was loaded from (its code source), or null
     */
    static Path launcherJar(String classPath, Path launcherPath) {
        if (classPath == null || classPath.isEmpty() || classPath.contains(File.pathSeparator) || launcherPath == null
                || !classPath.endsWith(".jar")) {
            return null;
        }
        try {
            Path jar = Paths.get(classPath);
            if (!Files.isRegularFile(jar) || !Files.isSameFile(jar, launcherPath)) {
                return null;
            }
            return jar;
        } catch (IOException | RuntimeException e) { // a code source that is no file: not the jar
            return null;
        }
    }

    /** Whether the forks will run this JVM without class-data flags of the user's own. */
    static boolean appliesTo(Options options, List<String> inputArgs) {
        if (options.getForkCount().hasValue() && options.getForkCount().get() == 0) {
            return false; // runs in this JVM
        }
        if (options.getJvm().hasValue() && !Paths.get(options.getJvm().get()).toAbsolutePath().normalize()
                .equals(Paths.get(Utils.getCurrentJvm()).toAbsolutePath().normalize())) {
            return false; // another JVM: the archive is this one's
        }
        List<String> given = new ArrayList<>(inputArgs);
        given.addAll(options.getJvmArgs().orElse(List.of()));
        given.addAll(options.getJvmArgsPrepend().orElse(List.of()));
        given.addAll(options.getJvmArgsAppend().orElse(List.of()));
        return given.stream().noneMatch(a -> USER_CDS_FLAG.matcher(a.trim()).matches());
    }

    /** {@code -Dknobs.cds.cache}, else {@code $XDG_CACHE_HOME/knobs/cds}, else {@code ~/.cache/knobs/cds}. */
    static Path cacheDir() {
        String dir = System.getProperty(CACHE_PROPERTY);
        if (dir != null && !dir.isBlank()) {
            return Paths.get(dir);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        return (xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache"))
                .resolve("knobs").resolve("cds");
    }

    /**
     * The archive for {@code jar} in {@code dir}: the existing one, or one made now by
     * {@code trainer} (under a lock, into a temporary file that is renamed into place); null, with
     * one note, when there is none.
     */
    static Path ensure(Path jar, Path dir, Trainer trainer, Consumer<String> notes) {
        Key key;
        try {
            key = Key.of(jar);
        } catch (IOException e) {
            notes.accept("forks start without a class-data archive: cannot read " + jar + ": " + Main.reason(e));
            return null;
        }
        Path archive = dir.resolve(key.fileName());
        if (Files.isRegularFile(archive)) {
            return archive;
        }
        Path failed = dir.resolve(key.fileName() + ".failed");
        if (Files.exists(failed)) {
            notes.accept(failedNote(failed));
            return null;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            notes.accept("forks start without a class-data archive: cannot create " + dir + ": " + Main.reason(e)
                    + " (set -D" + CACHE_PROPERTY + "=DIR, or -D" + SWITCH_PROPERTY + "=off)");
            return null;
        }
        synchronized (ClassDataArchive.class) { // file locks are per process: threads of one launcher queue here
            try (FileChannel ch = FileChannel.open(dir.resolve(key.fileName() + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = lock(ch, TRAINING_TIMEOUT_S + 60)) {
                if (lock == null) {
                    notes.accept("forks start without a class-data archive: another launcher has been creating " + archive
                            + " for over " + (TRAINING_TIMEOUT_S + 60) + " s");
                    return null;
                }
                if (Files.isRegularFile(archive)) { // made by the launcher we waited for
                    return archive;
                }
                if (Files.exists(failed)) {
                    notes.accept(failedNote(failed));
                    return null;
                }
                return create(key, archive, failed, trainer, notes);
            } catch (IOException e) {
                notes.accept("forks start without a class-data archive: cannot lock " + dir.resolve(key.fileName() + ".lock") + ": " + Main.reason(e));
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                notes.accept("forks start without a class-data archive: interrupted while it was being created");
                return null;
            }
        }
    }

    private static Path create(Key key, Path archive, Path failed, Trainer trainer, Consumer<String> notes)
            throws IOException, InterruptedException {
        Path dir = archive.getParent();
        Path tmp = dir.resolve(key.fileName() + "." + ProcessHandle.current().pid() + ".part");
        Path log = dir.resolve(key.fileName() + ".log");
        Files.deleteIfExists(tmp);
        long start = System.nanoTime();
        try {
            trainer.train(key.jar(), tmp, log);
            if (!Files.isRegularFile(tmp) || Files.size(tmp) == 0) {
                throw new Failure("the training run wrote no archive", false);
            }
            Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) { // the cache folder, not the training: try again next time
            Main.debug(e);
            notes.accept("forks start without a class-data archive: creating it failed: " + Main.reason(e));
            return null;
        } catch (Failure e) {
            String marked = "";
            if (!e.retry) {
                try {
                    Files.writeString(failed, e.getMessage() + "\n", StandardCharsets.UTF_8);
                    marked = "; later runs of this jar will not try again until " + failed + " is deleted";
                } catch (IOException m) {
                    marked = "; cannot write " + failed + " (" + Main.reason(m) + "), so the next run tries again";
                }
            }
            notes.accept("forks start without a class-data archive: creating it failed: " + e.getMessage()
                    + (Files.exists(log) ? " (its output: " + log + ")" : "") + marked);
            return null;
        } finally {
            Files.deleteIfExists(tmp);
        }
        String made = String.format(Locale.ROOT, "made a class-data archive of this jar for its forks in %.1f s, once per jar build and JVM"
                + " (-D%s=off to go without): %s", (System.nanoTime() - start) / 1e9, SWITCH_PROPERTY, archive);
        try { // housekeeping: the archive is in place whatever happens here
            Files.deleteIfExists(log);
            prune(dir, key);
        } catch (IOException e) {
            Main.debug(e);
            made += " (older archives in " + dir + " could not be deleted: " + Main.reason(e) + ")";
        }
        notes.accept(made);
        return archive;
    }

    private static String failedNote(Path failed) {
        String reason;
        try {
            reason = Files.readString(failed, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            reason = "unreadable marker: " + Main.reason(e);
        }
        return "forks start without a class-data archive: creating it failed earlier (" + reason + "); delete " + failed
                + " to try again, or -D" + SWITCH_PROPERTY + "=off";
    }

    /** The lock, waiting up to {@code seconds} for another process's; null if it was not released. */
    private static FileLock lock(FileChannel ch, long seconds) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return lock;
            }
            if (System.nanoTime() > end) {
                return null;
            }
            Thread.sleep(100);
        }
    }

    /**
     * Deletes this jar path's files for other builds or JVMs (never valid again), then all but the
     * newest {@link #KEEP} archives. Files being written ({@code .part}) are left to their launcher.
     */
    static void prune(Path dir, Key key) throws IOException {
        List<Path> archives = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "benchmarks-*.jsa*")) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (name.startsWith(key.fileName()) || name.endsWith(".part")) {
                    continue;
                }
                if (name.startsWith(key.prefix())) {
                    deleteQuietly(p);
                } else if (name.endsWith(".jsa")) {
                    archives.add(p);
                }
            }
        }
        archives.sort(Comparator.comparing(ClassDataArchive::mtime).reversed());
        for (Path old : archives.subList(Math.min(archives.size(), KEEP - 1), archives.size())) {
            deleteQuietly(old);
            deleteQuietly(old.resolveSibling(old.getFileName() + ".lock"));
        }
    }

    private static long mtime(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }

    /** A file another launcher deleted first is no problem; one that cannot be deleted stays (it is only disk). */
    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            Main.debug(e);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /**
     * The training run: a child JVM ({@link #main}) runs one tiny configuration through JMH's real
     * fork path, with the fork dumping its classes to the archive at exit; then a JVM must map the
     * archive with {@code -Xshare:on}. The child gets this launcher's {@code -D} properties (the
     * forks' defaults: JavaCPP's cache folder, {@code jmh.ignoreLock}); its fork writes its
     * sidecar into a temporary folder, deleted afterwards.
     */
    static final class ForkTrainer implements Trainer {
        private final List<String> properties;

        ForkTrainer(List<String> inputArgs) {
            this.properties = inputArgs.stream().filter(a -> a.startsWith("-D") && !a.startsWith("-D" + SWITCH_PROPERTY)).toList();
        }

        @Override
        public void train(Path jar, Path archive, Path log) throws Failure, IOException, InterruptedException {
            Path work = Files.createTempDirectory(archive.getParent(), "training-");
            try {
                List<String> cmd = new ArrayList<>(List.of(Utils.getCurrentJvm()));
                cmd.addAll(properties);
                cmd.addAll(List.of("-cp", jar.toString(), ClassDataArchive.class.getName(), archive.toString(), work.resolve("knobs-env").toString()));
                int status = run(cmd, work, log);
                String out = Files.readString(log, StandardCharsets.UTF_8);
                if (status != 0) {
                    boolean locked = out.contains("Unable to acquire the JMH lock");
                    throw new Failure(locked ? "another JMH run holds JMH's lock" : "the training run ended with status " + status
                            + lastLine(out), locked);
                }
                if (!Files.isRegularFile(archive)) {
                    throw new Failure("the training run's fork wrote no archive" + lastLine(out), false);
                }
                List<String> check = new ArrayList<>(List.of(Utils.getCurrentJvm(), Harness.HEAP));
                check.addAll(useArgs(archive));
                check.addAll(List.of("-Xshare:on", "-cp", jar.toString(), "-version")); // on: fails where auto would go without
                int checked = run(check, work, work.resolve("check.log"));
                if (checked != 0) {
                    String why = Files.readString(work.resolve("check.log"), StandardCharsets.UTF_8);
                    Files.writeString(log, "\n$ " + String.join(" ", check) + "\n" + why, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                    throw new Failure("a JVM cannot map the archive it made" + lastLine(why), false);
                }
            } finally {
                deleteTree(work);
            }
        }

        /** Runs {@code cmd} in {@code dir}, output to {@code log}; its exit status, or a Failure after the timeout (the process tree killed). */
        private static int run(List<String> cmd, Path dir, Path log) throws Failure, IOException, InterruptedException {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                if (!p.waitFor(TRAINING_TIMEOUT_S, TimeUnit.SECONDS)) {
                    throw new Failure("the training run took over " + TRAINING_TIMEOUT_S + " s", false);
                }
                return p.exitValue();
            } finally {
                if (p.isAlive()) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor();
                }
            }
        }

        private static String lastLine(String out) {
            List<String> lines = out.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            return lines.isEmpty() ? "" : ": " + lines.get(lines.size() - 1);
        }

        private static void deleteTree(Path root) throws IOException {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Two uses. {@code java -cp benchmarks.jar knobs.benchmarks.ClassDataArchive --fork-args}: the
     * archive the launcher's forks would map, made first if missing, its flags printed one per line
     * (nothing, with the reason as a note on stderr, when there is none): for scripts that time a
     * fork's start outside JMH ({@code scripts/startup-ab.sh}). {@code ... ARCHIVE SIDECAR_DIR}: the
     * training run's JVM, one fork of {@code ModelSize size=tiny pass=train_step} (natives, a model
     * built, forward, backward and the optimizer, the contention profiler, the environment sidecar)
     * with the forks' own {@code @Fork} flags, dumping every class it loaded to ARCHIVE at exit.
     */
    public static void main(String[] args) throws RunnerException {
        if (args.length == 1 && args[0].equals("--fork-args")) {
            Path jar = launcherJar();
            if (jar == null) {
                System.err.println("knobs: --fork-args needs the class path to be benchmarks.jar alone (java -cp benchmarks.jar ...)");
                System.exit(2);
            }
            Path archive = ensure(jar, cacheDir(), new ForkTrainer(ManagementFactory.getRuntimeMXBean().getInputArguments()),
                    note -> System.err.println("knobs: note: " + note));
            if (archive != null) {
                useArgs(archive).forEach(System.out::println);
            }
            return;
        }
        if (args.length != 2) {
            System.err.println("usage: java -cp benchmarks.jar " + ClassDataArchive.class.getName() + " --fork-args | ARCHIVE SIDECAR_DIR");
            System.exit(2);
        }
        Options options = new OptionsBuilder()
                .include("^" + Pattern.quote(ModelSize.class.getName()) + "\\.")
                .param("size", "tiny").param("pass", "train_step").param("batchSize", "1").param("contextLength", "16")
                .forks(1).warmupIterations(0).measurementIterations(1).measurementTime(TimeValue.milliseconds(100))
                .addProfiler(ContentionProfiler.class).shouldFailOnError(true)
                .jvmArgs(ManagementFactory.getRuntimeMXBean().getInputArguments().toArray(new String[0]))
                .jvmArgsAppend(Harness.NO_PHYSICAL_BYTES_CHECK, Harness.HEAP, "-XX:ArchiveClassesAtExit=" + args[0], QUIET,
                        "-D" + knobs.harness.Environment.DIR_PROPERTY + "=" + args[1])
                .build();
        java.util.Collection<RunResult> results = new Runner(options).run();
        if (results.isEmpty()) {
            System.err.println("the training configuration produced no result");
            System.exit(1);
        }
    }
}
