package knobs.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** A fake /proc folder with the files {@link ContentionReader} reads, for fixtures. */
final class FakeProc {
    static final long PID = 4242;
    static final long BENCH_TID = 4250;
    final Path root;

    FakeProc(Path root) {
        this.root = root;
        write("self/status", "Name:\tjava\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n");
        try {
            Files.createSymbolicLink(root.resolve("thread-self"), Paths.get(PID + "/task/" + BENCH_TID));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        thread(PID, 'S', 10);
        thread(BENCH_TID, 'S', 0);
    }

    /** Two CPUs with the given busy (user) and idle ticks each, and steal. */
    FakeProc stat(long user0, long idle0, long user1, long idle1, long steal) {
        return write("stat", "cpu  " + (user0 + user1) + " 0 0 " + (idle0 + idle1) + " 0 0 0 " + steal + " 0 0\n"
                + "cpu0 " + user0 + " 0 0 " + idle0 + " 0 0 0 " + steal + " 0 0\n"
                + "cpu1 " + user1 + " 0 0 " + idle1 + " 0 0 0 0 0 0\n"
                + "intr 12345 0 0\nctxt 999\n");
    }

    /** This process's utime and stime, with a command holding spaces and parentheses. */
    FakeProc self(long utime, long stime) {
        return write("self/stat", PID + " (java (x) y) S 1 1 1 0 -1 4194560 100 0 0 0 " + utime + " " + stime
                + " 0 0 20 0 30 0 100 1000 200\n");
    }

    FakeProc loadavg(int running) {
        return write("loadavg", "0.52 0.58 0.59 " + running + "/1234 56789\n");
    }

    /** A thread of this process in {@code state} with its involuntary context switches. */
    /** A child process of the benchmark: its stat (utime, stime) and one thread in the given state. */
    FakeProc child(long pid, long utime, long stime, char state) {
        write(pid + "/task/" + pid + "/stat", pid + " (java) " + state + " 1 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 30 0 100 1000 200\n");
        return write(pid + "/stat", pid + " (java) S 1 1 1 0 -1 4194560 100 0 0 0 " + utime + " " + stime
                + " 0 0 20 0 30 0 100 1000 200\n");
    }

    FakeProc thread(long tid, char state, long involuntary) {
        write("self/task/" + tid + "/stat", tid + " (java) " + state + " 1 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 30 0 100 1000 200\n");
        return write("self/task/" + tid + "/status", "Name:\tjava\nvoluntary_ctxt_switches:\t7\nnonvoluntary_ctxt_switches:\t"
                + involuntary + "\n");
    }

    FakeProc write(String file, String content) {
        try {
            Path p = root.resolve(file);
            Files.createDirectories(p.getParent());
            Files.writeString(p, content, StandardCharsets.US_ASCII);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    FakeProc delete(String file) {
        try {
            Files.delete(root.resolve(file));
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
