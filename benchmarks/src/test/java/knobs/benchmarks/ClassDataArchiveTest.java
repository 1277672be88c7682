package knobs.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * The launcher's class-data archive ({@link ClassDataArchive}) without a JVM dump: the cache key,
 * when it applies, creation under a lock into a temporary file, the fallback when creation fails,
 * and the switch. The real training run and a fork mapping the archive are tested on the shaded
 * jar ({@code ClassDataArchiveJarTest}).
 */
class ClassDataArchiveTest {
    @TempDir
    Path dir;

    private Path jar() throws IOException {
        Path jar = dir.resolve("benchmarks.jar");
        if (!Files.exists(jar)) {
            Files.write(jar, new byte[] {'P', 'K', 3, 4});
        }
        return jar;
    }

    /** A trainer that writes a fake archive, checking that no archive is visible while it works. */
    private static final class FakeTrainer implements ClassDataArchive.Trainer {
        final AtomicInteger calls = new AtomicInteger();
        final List<Path> targets = Collections.synchronizedList(new ArrayList<>());
        final long sleepMs;

        FakeTrainer(long sleepMs) {
            this.sleepMs = sleepMs;
        }

        @Override
        public void train(Path jar, Path archive, Path log) throws IOException, InterruptedException {
            calls.incrementAndGet();
            targets.add(archive);
            Files.writeString(log, "training\n");
            Files.write(archive, new byte[] {1, 2});
            Thread.sleep(sleepMs);
            Files.write(archive, new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        }
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir.resolve("cds"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void theKeyChangesWithTheJarsPathSizeAndTimeAndKeepsOnePrefixPerPath() throws Exception {
        Path jar = jar();
        ClassDataArchive.Key k = ClassDataArchive.Key.of(jar);
        assertEquals(jar.toRealPath(), k.jar());
        assertEquals(k, ClassDataArchive.Key.of(dir.resolve(".").resolve("benchmarks.jar")), "another spelling of the same file");
        assertTrue(k.fileName().matches("benchmarks-[0-9a-f]{12}-[0-9a-f]{16}\\.jsa"), k.fileName());
        assertTrue(k.fileName().startsWith(k.prefix()));
        assertTrue(k.jvm().contains(System.getProperty("java.vm.version")) && k.jvm().contains(System.getProperty("java.home")), k.jvm());

        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 5000));
        ClassDataArchive.Key touched = ClassDataArchive.Key.of(jar);
        assertNotEquals(k.fileName(), touched.fileName(), "a rebuilt jar (new mtime) has another archive");
        assertEquals(k.prefix(), touched.prefix(), "but the same path prefix, so that the old one is pruned");

        Files.write(jar, new byte[] {'P', 'K', 3, 4, 0});
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() - 5000));
        assertNotEquals(touched.fileName(), ClassDataArchive.Key.of(jar).fileName(), "another size");

        Path copy = Files.copy(jar, dir.resolve("copy.jar"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        ClassDataArchive.Key copied = ClassDataArchive.Key.of(copy);
        assertNotEquals(ClassDataArchive.Key.of(jar).prefix(), copied.prefix(), "a copy elsewhere is another class path");
        ClassDataArchive.Key otherJvm = new ClassDataArchive.Key(copied.jar(), copied.size(), copied.mtimeNanos(), "other-jvm");
        assertNotEquals(copied.fileName(), otherJvm.fileName(), "another JVM");
    }

    @Test
    void theSwitchIsOnByDefaultOffWhenAskedAndABadValueNamesTheAllowedOnes() {
        assertTrue(ClassDataArchive.enabled(null));
        assertTrue(ClassDataArchive.enabled("on"));
        assertFalse(ClassDataArchive.enabled("off"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClassDataArchive.enabled("maybe"));
        assertTrue(e.getMessage().startsWith("-Dknobs.cds=maybe is not allowed; allowed: on (") && e.getMessage().endsWith(", off"),
                e.getMessage());
    }

    @Test
    void switchedOffTheLauncherAddsNothingAndMakesNothing() throws Exception {
        String before = System.getProperty(ClassDataArchive.SWITCH_PROPERTY);
        System.setProperty(ClassDataArchive.SWITCH_PROPERTY, "off");
        try {
            List<String> notes = new ArrayList<>();
            assertEquals(List.of(), ClassDataArchive.forkArgs(new CommandLineOptions("MoeTopK"), List.of(), notes::add));
            assertEquals(List.of(), notes);
        } finally {
            if (before == null) {
                System.clearProperty(ClassDataArchive.SWITCH_PROPERTY);
            } else {
                System.setProperty(ClassDataArchive.SWITCH_PROPERTY, before);
            }
        }
    }

    @Test
    void aBadSwitchValueStopsTheLauncherWithOneLineAndStatusTwo() throws Exception {
        String before = System.getProperty(ClassDataArchive.SWITCH_PROPERTY);
        System.setProperty(ClassDataArchive.SWITCH_PROPERTY, "yes");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            assertEquals(Main.INVALID, Main.run(new String[] {"MoeTopK", "-p", "model=tiny-moe"}, new PrintStream(err, true, StandardCharsets.UTF_8)));
        } finally {
            if (before == null) {
                System.clearProperty(ClassDataArchive.SWITCH_PROPERTY);
            } else {
                System.setProperty(ClassDataArchive.SWITCH_PROPERTY, before);
            }
        }
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        assertTrue(text.startsWith("knobs: -Dknobs.cds=yes is not allowed; allowed: on ("), text);
    }

    @Test
    void itAppliesOnlyToForksOfThisJvmFromOneJarWithoutTheUsersOwnSharingFlags() throws Exception {
        Path jar = jar();
        assertEquals(jar, ClassDataArchive.launcherJar(jar.toString(), jar));
        assertEquals(jar, ClassDataArchive.launcherJar(jar.toString(), dir.resolve(".").resolve("benchmarks.jar")), "the same file");
        assertNull(ClassDataArchive.launcherJar(jar + java.io.File.pathSeparator + dir, jar), "more than one entry");
        assertNull(ClassDataArchive.launcherJar(dir.toString(), dir), "class folders (an IDE, surefire)");
        Path booter = Files.write(dir.resolve("surefirebooter.jar"), new byte[] {1});
        assertNull(ClassDataArchive.launcherJar(booter.toString(), dir.resolve("classes")),
                "a manifest-only jar whose classes come from elsewhere");
        assertNull(ClassDataArchive.launcherJar(dir.resolve("missing.jar").toString(), dir.resolve("missing.jar")));
        assertNull(ClassDataArchive.launcherJar(jar.toString(), null));
        assertNull(ClassDataArchive.launcherJar(), "this test runs from class folders");

        assertTrue(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK"), List.of("-Dknobs.threads=1")));
        assertTrue(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK", "-f", "2", "-jvmArgsAppend", "-Xmx1g"), List.of()));
        assertFalse(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK", "-f", "0"), List.of()), "no forks");
        assertFalse(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK", "-jvm", "/opt/other-jdk/bin/java"), List.of()),
                "another JVM for the forks");
        assertTrue(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK", "-jvm",
                org.openjdk.jmh.util.Utils.getCurrentJvm()), List.of()), "this JVM named explicitly");
        for (String flag : new String[] {"-Xshare:off", "-XX:SharedArchiveFile=/x.jsa", "-XX:ArchiveClassesAtExit=/y.jsa", "-XX:-UseSharedSpaces"}) {
            assertFalse(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK", "-jvmArgsAppend", flag), List.of()), flag);
            assertFalse(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK", "-jvmArgsPrepend", flag), List.of()), flag);
            assertFalse(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK", "-jvmArgs", flag), List.of()), flag);
            assertFalse(ClassDataArchive.appliesTo(new CommandLineOptions("MoeTopK"), List.of(flag)), "the launcher's own " + flag);
        }
    }

    @Test
    void theArchiveIsMadeOnceIntoATemporaryFileAndReusedByLaterLaunches() throws Exception {
        Path jar = jar();
        FakeTrainer trainer = new FakeTrainer(0);
        List<String> notes = new ArrayList<>();
        Path archive = ClassDataArchive.ensure(jar, dir.resolve("cds"), trainer, notes::add);
        String name = ClassDataArchive.Key.of(jar).fileName();
        assertEquals(dir.resolve("cds").resolve(name), archive);
        assertEquals(1, trainer.calls.get());
        Path target = trainer.targets.get(0);
        assertTrue(target.getFileName().toString().startsWith(name + ".") && target.getFileName().toString().endsWith(".part"),
                "written under a temporary name beside it: " + target);
        assertEquals(5, Files.size(archive), "the whole file, renamed once complete");
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("made a class-data archive of this jar for its forks in ") && notes.get(0).endsWith(archive.toString()),
                notes.get(0));
        assertEquals(List.of(name, name + ".lock"), files(), "no temporary file or log left");

        notes.clear();
        assertEquals(archive, ClassDataArchive.ensure(jar, dir.resolve("cds"), trainer, notes::add));
        assertEquals(1, trainer.calls.get(), "reused, not made again");
        assertEquals(List.of(), notes, "nothing to say");
        assertEquals(ClassDataArchive.useArgs(archive).get(0), "-XX:SharedArchiveFile=" + archive);
        assertTrue(ClassDataArchive.useArgs(archive).contains("-Xshare:auto"), "a stale archive never stops a fork");
        assertTrue(ClassDataArchive.useArgs(archive).contains(ClassDataArchive.QUIET), "nor makes it print");
    }

    @Test
    void launchersStartingTogetherMakeItOnce() throws Exception {
        Path jar = jar();
        FakeTrainer trainer = new FakeTrainer(300);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Path>> launches = new ArrayList<>();
            List<String> notes = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 4; i++) {
                launches.add(() -> ClassDataArchive.ensure(jar, dir.resolve("cds"), trainer, notes::add));
            }
            List<Path> got = new ArrayList<>();
            for (Future<Path> f : pool.invokeAll(launches)) {
                got.add(f.get());
            }
            assertEquals(1, trainer.calls.get(), "one training run");
            assertEquals(1, got.stream().distinct().count(), got.toString());
            assertEquals(5, Files.size(got.get(0)), "every launcher got the complete archive");
            assertEquals(1, notes.size(), "only the one that made it says so: " + notes);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aFailedCreationIsOneNoteLeavesNoArchiveAndIsNotRetriedUntilItsMarkerIsDeleted() throws Exception {
        Path jar = jar();
        AtomicInteger calls = new AtomicInteger();
        ClassDataArchive.Trainer failing = (j, archive, log) -> {
            calls.incrementAndGet();
            Files.writeString(log, "Error occurred during initialization of VM\n");
            Files.write(archive, new byte[] {1}); // half an archive
            throw new ClassDataArchive.Failure("the training run ended with status 1: Error occurred during initialization of VM", false);
        };
        List<String> notes = new ArrayList<>();
        assertNull(ClassDataArchive.ensure(jar, dir.resolve("cds"), failing, notes::add));
        String name = ClassDataArchive.Key.of(jar).fileName();
        Path marker = dir.resolve("cds").resolve(name + ".failed");
        Path log = dir.resolve("cds").resolve(name + ".log");
        assertEquals(List.of("forks start without a class-data archive: creating it failed: the training run ended with status 1:"
                + " Error occurred during initialization of VM (its output: " + log + "); later runs of this jar will not try again until "
                + marker + " is deleted"), notes);
        assertEquals(List.of(name + ".failed", name + ".lock", name + ".log"), files(), "no archive, no temporary file");

        notes.clear();
        assertNull(ClassDataArchive.ensure(jar, dir.resolve("cds"), failing, notes::add));
        assertEquals(1, calls.get(), "not tried again");
        assertEquals(1, notes.size());
        assertTrue(notes.get(0).startsWith("forks start without a class-data archive: creating it failed earlier (the training run ended")
                && notes.get(0).contains("delete " + marker + " to try again"), notes.get(0));

        Files.delete(marker);
        notes.clear();
        FakeTrainer working = new FakeTrainer(0);
        assertTrue(Files.isRegularFile(ClassDataArchive.ensure(jar, dir.resolve("cds"), working, notes::add)));
        assertEquals(1, working.calls.get());
    }

    @Test
    void aTrainingRunThatFailsIsReportedWithItsLastLineAndLog() throws Exception {
        Path jar = jar(); // not benchmarks.jar: the training JVM cannot even find its main class
        List<String> notes = new ArrayList<>();
        assertNull(ClassDataArchive.ensure(jar, dir.resolve("cds"), new ClassDataArchive.ForkTrainer(List.of("-Dx=1", "-Xmx1g")), notes::add));
        String name = ClassDataArchive.Key.of(jar).fileName();
        Path log = dir.resolve("cds").resolve(name + ".log");
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("forks start without a class-data archive: creating it failed: the training run ended with status 1: ")
                && notes.get(0).contains("(its output: " + log + ")"), notes.get(0));
        assertTrue(Files.readString(log).contains(ClassDataArchive.class.getName()), "the child's own words: " + Files.readString(log));
        assertTrue(Files.exists(dir.resolve("cds").resolve(name + ".failed")));
        try (Stream<Path> s = Files.list(dir.resolve("cds"))) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith("training-") || p.toString().endsWith(".part")),
                    "its work folder and temporary archive are gone");
        }
    }

    @Test
    void aPassingCauseIsRetriedNextTimeAndAnUnwritableCacheIsOneNote() throws Exception {
        Path jar = jar();
        ClassDataArchive.Trainer locked = (j, archive, log) -> {
            throw new ClassDataArchive.Failure("another JMH run holds JMH's lock", true);
        };
        List<String> notes = new ArrayList<>();
        assertNull(ClassDataArchive.ensure(jar, dir.resolve("cds"), locked, notes::add));
        assertEquals(List.of("forks start without a class-data archive: creating it failed: another JMH run holds JMH's lock"), notes);
        FakeTrainer working = new FakeTrainer(0);
        assertTrue(Files.isRegularFile(ClassDataArchive.ensure(jar, dir.resolve("cds"), working, notes::add)), "tried again");

        ClassDataArchive.Trainer io = (j, archive, log) -> {
            throw new java.nio.file.AccessDeniedException(archive.toString());
        };
        notes.clear();
        Path other = Files.write(dir.resolve("other.jar"), new byte[] {2});
        assertNull(ClassDataArchive.ensure(other, dir.resolve("cds"), io, notes::add));
        assertEquals(List.of("forks start without a class-data archive: creating it failed: permission denied"), notes);

        Path file = Files.writeString(dir.resolve("plain-file"), "");
        notes.clear();
        assertNull(ClassDataArchive.ensure(jar, file.resolve("cds"), working, notes::add));
        assertEquals(1, notes.size());
        assertTrue(notes.get(0).startsWith("forks start without a class-data archive: cannot create " + file.resolve("cds") + ": ")
                && notes.get(0).endsWith("(set -Dknobs.cds.cache=DIR, or -Dknobs.cds=off)"), notes.get(0));
    }

    @Test
    void aNewBuildReplacesTheOldArchiveOfThatPathAndTheCacheKeepsTheNewest() throws Exception {
        Path jar = jar();
        Path cds = dir.resolve("cds");
        FakeTrainer trainer = new FakeTrainer(0);
        Path first = ClassDataArchive.ensure(jar, cds, trainer, s -> { });
        Files.setLastModifiedTime(jar, FileTime.fromMillis(Files.getLastModifiedTime(jar).toMillis() + 5000)); // rebuilt
        Path second = ClassDataArchive.ensure(jar, cds, trainer, s -> { });
        assertNotEquals(first, second);
        assertFalse(Files.exists(first), "the old build's archive is never valid again");
        assertFalse(Files.exists(first.resolveSibling(first.getFileName() + ".lock")), "nor its lock file");
        assertTrue(Files.exists(second));

        for (int i = 0; i < ClassDataArchive.KEEP + 3; i++) { // archives of other jars
            Path other = Files.write(dir.resolve("other-" + i + ".jar"), new byte[] {(byte) i});
            Path made = ClassDataArchive.ensure(other, cds, trainer, s -> { });
            Files.setLastModifiedTime(made, FileTime.fromMillis(1_000_000L * (i + 1)));
        }
        try (Stream<Path> s = Files.list(cds)) {
            assertEquals(ClassDataArchive.KEEP, s.filter(p -> p.toString().endsWith(".jsa")).count());
        }
    }
}
