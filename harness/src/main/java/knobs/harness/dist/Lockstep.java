package knobs.harness.dist;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import knobs.kernels.dist.Comm;
import org.bytedeco.pytorch.ByteVector;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;

/**
 * Rank 0 drives every rank through the same {@link RankStep} calls. Each command is a one-element
 * sum all-reduce (rank 0 contributes the command, the others 0), so it is also a barrier: every
 * rank leaves it together. A step is then timed on every rank by its own clock around its own
 * {@link RankStep#step} (its "own time"), followed by a closing barrier; rank 0's caller (JMH)
 * times the step plus that barrier, which ends only when the slowest rank has finished: the
 * step's time is the slowest rank's (plus one barrier's latency). Own times stay on each rank
 * until {@link #gatherTimes}, outside the timed region.
 *
 * <p>Rank 0 publishes the step's class and knob values in the store before announcing itself,
 * so other ranks need nothing but torchrun's variables ({@link RankMain}).
 *
 * <p>Any failure on rank 0 (a collective error or timeout) is rethrown as a {@link DistException}
 * whose message a {@code describer} completes with what is known about the other ranks (e.g. the
 * exit status and log of a dead child JVM: {@link LocalRanks#describeFailure}).
 */
public final class Lockstep {
    static final long STEP = 1;
    static final long GATHER = 2;
    static final long VERIFY = 3;
    static final long STOP = 4;
    static final long COUNTERS = 5;

    static final String STEP_CLASS = "knobs/step/class";
    static final String STEP_PARAMS = "knobs/step/params";
    static final String VERIFY_KEY = "knobs/verify/";
    /** Set by rank 0 when its trial is over: a rank that connects to that store has come too late, or too early for the next. */
    static final String CLOSED = "knobs/closed";

    private final DistGroup group;
    private final Comm comm;
    private final RankStep step;
    private final Tensor control;
    private final Function<RuntimeException, String> describer;
    private long[] own = new long[256];
    private int count;
    private int verifications;
    private boolean failed;

    private Lockstep(DistGroup group, RankStep step, Function<RuntimeException, String> describer) {
        this.group = group;
        this.comm = group.comm();
        this.step = step;
        this.describer = describer;
        this.control = torch.zeros(new long[] {1}, new TensorOptions(torch.ScalarType.Long)
                .device(new org.bytedeco.pytorch.DeviceOptional(group.device().torchDevice())));
    }

    /**
     * Rank 0's side: publishes the step (class and knob values) for the others, then sets it up here.
     * Must be called on rank 0 before the other ranks can join (see {@link #publish}).
     *
     * @param describer completes a failure's message with what is known about the other ranks
     */
    public static Lockstep lead(DistGroup group, RankStep step, Map<String, String> params,
                                Function<RuntimeException, String> describer) {
        if (group.rank() != 0) {
            throw new IllegalStateException("rank " + group.rank() + " cannot lead: rank 0 drives the steps");
        }
        Lockstep l = new Lockstep(group, step, describer);
        l.guard("set-up", () -> step.setUp(group.comm(), group.env(), params));
        return l;
    }

    /** What rank 0 writes in the store before joining: the step class and the knob values. */
    public static void publish(org.bytedeco.pytorch.Store store, Class<? extends RankStep> type, Map<String, String> params) {
        store.set(STEP_CLASS, bytes(type.getName()));
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : params.entrySet()) {
            b.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        store.set(STEP_PARAMS, bytes(b.toString()));
    }

    /** Starts the next step on every rank (the barrier before it); untimed. */
    public void prepare() {
        command(STEP);
    }

    /** One step on this rank (rank 0's timed region): its own step, then the closing barrier. */
    public void step() {
        guard("step", this::ownStep);
    }

    private void ownStep() {
        long t0 = System.nanoTime();
        step.step();
        long t1 = System.nanoTime();
        record(t1 - t0);
        comm.barrier();
    }

    /**
     * Every rank's own step times since the last call, indexed [rank][step]; every rank has the
     * same number (they ran in lockstep).
     */
    public long[][] gatherTimes() {
        command(GATHER);
        long[][] out = new long[1][];
        guard("gather of step times", () -> out[0] = exchange());
        long[] all = out[0];
        int n = group.worldSize();
        int per = all.length / n;
        long[][] times = new long[n][per];
        for (int r = 0; r < n; r++) {
            System.arraycopy(all, r * per, times[r], 0, per);
        }
        return times;
    }

    /**
     * Every rank's {@link RankStep#counters} since the last call, indexed [rank][counter]; untimed.
     */
    public long[][] gatherCounters() {
        command(COUNTERS);
        long[][] out = new long[1][];
        guard("gather of step counters", () -> out[0] = exchangeCounters());
        long[] all = out[0];
        int n = group.worldSize();
        int per = all.length / n;
        long[][] counters = new long[n][per];
        for (int r = 0; r < n; r++) {
            System.arraycopy(all, r * per, counters[r], 0, per);
        }
        return counters;
    }

    /** All-gathers the step's counters (the same count on every rank; a placeholder when it has none). */
    private long[] exchangeCounters() {
        long[] mine = step.counters();
        long[] out = values(comm.allGather(longs(mine.length == 0 ? new long[] {0} : mine)));
        return mine.length == 0 ? new long[0] : out;
    }

    /**
     * Runs {@link RankStep#verify} on every rank, then gathers and drops the counters its steps
     * accumulated, so that the next {@link #gatherCounters} covers timed steps only.
     *
     * @throws DistException naming every rank whose result was wrong, and how
     */
    public void verify() {
        command(VERIFY);
        guard("verification", this::verifyHere);
        verifications++;
        gatherCounters(); // the verification's steps are not timed ones
    }

    /** Ends the followers' loops; they leave the group and exit (or, serving, join the next trial's). */
    public void stop() {
        command(STOP);
        group.store().set(CLOSED, bytes("1"));
    }

    /** Whether rank 0 has closed this store's trial (a serving rank then waits for the next store). */
    static boolean closed(org.bytedeco.pytorch.Store store) {
        org.bytedeco.pytorch.StringVector k = new org.bytedeco.pytorch.StringVector();
        k.push_back(CLOSED);
        return store.check(k);
    }

    public int worldSize() {
        return group.worldSize();
    }

    private void command(long c) {
        guard(c == STEP ? "start of a step" : c == GATHER ? "end of an iteration" : c == VERIFY ? "start of a verification"
                : "stop", () -> {
            control.fill_(new Scalar(group.rank() == 0 ? c : 0));
            comm.allReduce(control);
        });
    }

    private long commandReceived() {
        control.fill_(new Scalar(0));
        comm.allReduce(control);
        return control.item_long();
    }

    private void record(long ns) {
        if (count == own.length) {
            own = Arrays.copyOf(own, own.length * 2);
        }
        own[count++] = ns;
    }

    /**
     * {@code values} as an int64 tensor on the group's device (NCCL takes device tensors only);
     * for the untimed exchanges of times, flags and counters.
     */
    Tensor longs(long[] values) {
        Tensor t = torch.empty(values.length).to(torch.ScalarType.Long);
        t.data_ptr_long().put(values);
        return group.device().isCuda() ? t.to(group.device().torchDevice(), torch.ScalarType.Long) : t;
    }

    /** The values of an int64 tensor, wherever it lives. */
    static long[] values(Tensor t) {
        Tensor host = t.device().is_cuda() ? t.cpu() : t;
        long[] out = new long[(int) host.numel()];
        host.contiguous().data_ptr_long().get(out);
        return out;
    }

    /** All-gathers the own times (equal counts on every rank) and resets them. */
    private long[] exchange() {
        long[] padded = count == 0 ? new long[] {-1} : Arrays.copyOf(own, count);
        long[] out = values(comm.allGather(longs(padded)));
        count = 0;
        if (out.length == group.worldSize() && out[0] == -1) {
            return new long[0];
        }
        return out;
    }

    private void verifyHere() {
        String problem = step.verify();
        String key = VERIFY_KEY + verifications + "/" + group.rank();
        if (problem != null) {
            group.store().set(key, bytes(problem));
        }
        long[] mark = new long[group.worldSize()];
        mark[group.rank()] = problem == null ? 0 : 1;
        Tensor bad = longs(mark);
        comm.allReduce(bad);
        if (group.rank() != 0) {
            return;
        }
        long[] flags = values(bad);
        StringBuilder m = new StringBuilder();
        for (int r = 0; r < flags.length; r++) {
            if (flags[r] != 0) {
                String text = string(group.store().get(VERIFY_KEY + verifications + "/" + r));
                m.append(m.length() == 0 ? "" : "; ").append(text);
            }
        }
        if (m.length() > 0) {
            throw new VerificationException("wrong result: " + m);
        }
    }

    /** A verification found a wrong result (not a communication failure). */
    static final class VerificationException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        VerificationException(String message) {
            super(message);
        }
    }

    private void guard(String what, Runnable r) {
        try {
            r.run();
        } catch (VerificationException e) {
            failed = true;
            throw new DistException(e.getMessage(), e);
        } catch (DistException e) {
            failed = true;
            throw e;
        } catch (RuntimeException e) {
            failed = true;
            throw new DistException(what + " failed: " + describer.apply(e), e);
        }
    }

    /** Whether a command, step or verification has failed: the group is then unusable. */
    public boolean failed() {
        return failed;
    }

    /**
     * A follower's loop (ranks 1..n−1): reads the step from the store, sets it up, and obeys
     * commands until {@link #STOP}. A failure is thrown after the step stops; rank 0 sees it as a
     * communication failure naming this rank ({@link LocalRanks}) or as a timeout.
     */
    public static void follow(DistGroup group) throws ReflectiveOperationException {
        String type = string(group.store().get(STEP_CLASS));
        Map<String, String> params = params(group.store());
        RankStep step = (RankStep) Class.forName(type).getDeclaredConstructor().newInstance();
        Lockstep l = new Lockstep(group, step, RuntimeException::getMessage);
        step.setUp(group.comm(), group.env(), params);
        while (true) {
            long c = l.commandReceived();
            if (c == STEP) {
                l.ownStep();
            } else if (c == GATHER) {
                l.exchange();
            } else if (c == VERIFY) {
                l.verifyHere();
                l.verifications++;
            } else if (c == COUNTERS) {
                l.exchangeCounters();
            } else if (c == STOP) {
                return;
            } else {
                throw new DistException("rank " + group.rank() + " received unknown command " + c + " from rank 0");
            }
        }
    }

    /** The knob values rank 0 published (waits for them, at most the store's timeout). */
    static Map<String, String> params(org.bytedeco.pytorch.Store store) {
        return parseParams(string(store.get(STEP_PARAMS)));
    }

    static Map<String, String> parseParams(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (!line.isEmpty()) {
                int eq = line.indexOf('=');
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return m;
    }

    static ByteVector bytes(String s) {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteVector v = new ByteVector(b.length);
        for (int i = 0; i < b.length; i++) {
            v.put(i, b[i]);
        }
        return v;
    }

    static String string(ByteVector v) {
        byte[] b = new byte[(int) v.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = v.get(i);
        }
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The bound every wait of this group has. */
    public Duration timeout() {
        return group.timeout();
    }
}
