package knobs.kernels.dist;

import knobs.kernels.Components;
import knobs.kernels.MoeFeedForward;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * An MoE feed-forward layer with its experts sharded across the ranks of a {@link Comm} (expert
 * parallelism, as in GShard / Megatron-LM / DeepSpeed-MoE): rank r owns experts
 * [r·E/W, (r+1)·E/W). Every rank routes its own tokens with the replicated router, then
 *
 * <ol>
 *   <li>sorts its N·k (token, slot) pairs by expert, which groups them by owning rank too;</li>
 *   <li>exchanges the per-expert pair counts (an equal-split all_to_all of E counts), so every rank
 *       knows how many rows it will receive from each rank for each of its experts;</li>
 *   <li>dispatches the gathered token rows with an unequal-split all_to_all;</li>
 *   <li>runs each local expert on all rows for it (rows regrouped expert-major across sources);</li>
 *   <li>combines: sends every row back to the rank it came from (the inverse all_to_all), where it
 *       is weighted by its routing weight and summed into its token.</li>
 * </ol>
 *
 * The output for a rank's tokens equals the single-process layer's output for them. The
 * constructor broadcasts rank 0's weights, so the replicas are equal whatever each rank built. Shared
 * experts, when the layer has them, run replicated on every rank. The router and the experts are
 * the given {@link MoeFeedForward}'s: every rank builds the whole layer (same seed) and computes
 * only its own experts, so memory is not sharded here — time and bytes are what this measures.
 * Forward only (no autograd through the all_to_all). Spans: router and top-k as the layer's own,
 * {@link Components#MOE_DISPATCH} around the sort, count exchange and dispatch all_to_all,
 * {@link Components#MOE_EXPERTS}, {@link Components#MOE_COMBINE} around the return all_to_all and
 * the weighted sum.
 */
public final class ExpertParallelMoe {
    /**
     * What the latest forward did on this rank. Bytes are payload bytes sent to other ranks (rows
     * sent to itself move no data): dispatch = pairs routed to another rank's experts × d × element
     * bytes, combine = rows returned to other ranks × d × element bytes. allToAllNs is the wall time
     * inside the three all_to_all calls (count exchange, dispatch, combine), waiting for slower
     * peers included; computeNs is the rest of the forward.
     */
    public record Stats(long dispatchBytes, long combineBytes, long allToAllNs, long computeNs, long rowsComputed) {
    }

    private final Comm comm;
    private final MoeFeedForward layer;
    private final int experts;
    private final int perRank;
    private final int first;
    private final long d;
    private Stats last;
    private long[] lastSendRows;
    private long[] lastRecvRows;

    /**
     * @param comm  the expert-parallel group; its world size must divide the layer's expert count
     * @param layer the whole MoE layer, identical on every rank (same seed or the same checkpoint)
     */
    public ExpertParallelMoe(Comm comm, MoeFeedForward layer) {
        this.comm = comm;
        this.layer = layer;
        this.experts = layer.experts();
        int w = comm.worldSize();
        if (experts % w != 0) {
            throw new IllegalArgumentException("worldSize=" + w + " is not allowed for a layer of " + experts
                    + " experts: the experts must split evenly over the ranks (allowed: divisors of " + experts + ")");
        }
        this.perRank = experts / w;
        this.first = comm.rank() * perRank;
        this.d = layer.dModel();
        // The replicas start equal whatever each rank built (as DDP does): rank 0's weights, in place.
        try (PointerScope scope = new PointerScope(); NoGradGuard noGrad = new NoGradGuard()) {
            for (Tensor p : layer.parameters().get()) {
                comm.broadcast(p, 0);
            }
        }
    }

    /** The first expert this rank owns; it owns {@link #expertsPerRank()} from there. */
    public int firstExpert() {
        return first;
    }

    public int expertsPerRank() {
        return perRank;
    }

    /** The statistics of the latest {@link #forward}, or null before the first. */
    public Stats lastStats() {
        return last;
    }

    /** Rows this rank passed to the dispatch all_to_all for each rank in the latest forward (a copy). */
    public long[] lastSendRows() {
        return lastSendRows.clone();
    }

    /** Rows this rank received from each rank in the latest dispatch (a copy). */
    public long[] lastRecvRows() {
        return lastRecvRows.clone();
    }

    /**
     * The layer's output for this rank's tokens x (B, T, d) or (N, d), same shape; call with
     * autograd off. Every rank must call it at the same time (the all_to_alls are collective).
     */
    public Tensor forward(Tensor x) {
        long t0 = System.nanoTime();
        long commNs = 0;
        int w = comm.worldSize();
        int k = layer.topK();
        Tensor xf = x.reshape(-1, d).contiguous();                          // (N, d)
        MoeFeedForward.Routing r = layer.route(xf);
        Tensor tokenOfPair;
        Tensor weights;
        Tensor received;
        long[] recvByExpert;                                                 // [source][local expert], row-major
        long[] sendRows = new long[w];
        long[] recvRows = new long[w];
        try (Components.Span s = Components.span(Components.MOE_DISPATCH)) {
            Tensor flatExpert = r.experts().reshape(-1);                     // (N·k): pair p = n·k + j
            Tensor order = flatExpert.argsort(true, 0, false);               // pairs grouped by expert, hence by rank
            tokenOfPair = order.floor_divide(new org.bytedeco.pytorch.Scalar((long) k)); // (N·k)
            weights = r.weights().reshape(-1).index_select(0, order);        // (N·k)
            Tensor counts = torch.bincount(flatExpert, new org.bytedeco.pytorch.TensorOptional(), experts); // (E)
            long c0 = System.nanoTime();
            Tensor got = comm.allToAll(counts.contiguous());                 // (E): block s = rank s's counts for my experts
            commNs += System.nanoTime() - c0;
            long[] sendByExpert = new long[experts];
            counts.cpu().contiguous().data_ptr_long().get(sendByExpert);
            recvByExpert = new long[experts];
            got.cpu().contiguous().data_ptr_long().get(recvByExpert);
            for (int e = 0; e < experts; e++) {
                sendRows[e / perRank] += sendByExpert[e];
                recvRows[e / perRank] += recvByExpert[e];                    // block e / perRank came from that rank
            }
            Tensor gathered = xf.index_select(0, tokenOfPair);               // (N·k, d) sorted by expert
            c0 = System.nanoTime();
            received = comm.allToAll(gathered, sendRows, recvRows);         // (Σ recv, d): source-major, expert-major within
            commNs += System.nanoTime() - c0;
        }
        Tensor outRows;
        long rowsComputed = received.size(0);
        try (Components.Span s = Components.span(Components.MOE_EXPERTS)) {
            outRows = runLocalExperts(received, recvByExpert);              // (Σ recv, d), same row order
        }
        Tensor sharedOut = layer.sharedOutput(xf);                           // (N, d) or null
        Tensor out;
        try (Components.Span s = Components.span(Components.MOE_COMBINE)) {
            long c0 = System.nanoTime();
            Tensor back = comm.allToAll(outRows, recvRows, sendRows);       // (N·k, d) in my sorted pair order
            commNs += System.nanoTime() - c0;
            Tensor base = sharedOut == null ? xf.new_zeros(xf.size(0), d) : sharedOut;
            out = base.index_add_(0, tokenOfPair, back.mul(weights.unsqueeze(1)));
        }
        long rowBytes = d * xf.element_size();
        int me = comm.rank();
        last = new Stats((sum(sendRows) - sendRows[me]) * rowBytes, (sum(recvRows) - recvRows[me]) * rowBytes,
                commNs, System.nanoTime() - t0 - commNs, rowsComputed);
        lastSendRows = sendRows;
        lastRecvRows = recvRows;
        return out.view(x.sizes());
    }

    /**
     * Runs each local expert on its rows. received holds, per source rank s, rows for my expert 0,
     * then expert 1, ... (counts recvByExpert[s·perRank + e]); they are regrouped expert-major with
     * one index_select, each expert runs once on its contiguous block, and the results are put back
     * in the received order with one index_copy.
     */
    private Tensor runLocalExperts(Tensor received, long[] recvByExpert) {
        int w = comm.worldSize();
        long total = received.size(0);
        if (total == 0) {
            return received.new_zeros(0, d);
        }
        long[] start = new long[recvByExpert.length];                        // offset of (s, e) in received
        long off = 0;
        for (int i = 0; i < recvByExpert.length; i++) {
            start[i] = off;
            off += recvByExpert[i];
        }
        long[] perm = new long[(int) total];                                 // expert-major position -> received row
        long[] perExpert = new long[perRank];
        int p = 0;
        for (int e = 0; e < perRank; e++) {
            for (int s = 0; s < w; s++) {
                int i = s * perRank + e;
                for (long j = 0; j < recvByExpert[i]; j++) {
                    perm[p++] = start[i] + j;
                }
                perExpert[e] += recvByExpert[i];
            }
        }
        Tensor index = torch.empty(total).to(torch.ScalarType.Long);
        index.data_ptr_long().put(perm);
        index = index.to(received.device(), torch.ScalarType.Long);
        Tensor byExpert = received.index_select(0, index);                  // (total, d) expert-major
        Tensor y = received.new_empty(new long[] {total, d});
        long o = 0;
        for (int e = 0; e < perRank; e++) {
            if (perExpert[e] == 0) {
                continue;
            }
            y.narrow(0, o, perExpert[e]).copy_(layer.expertForward(first + e, byExpert.narrow(0, o, perExpert[e])));
            o += perExpert[e];
        }
        return received.new_empty(new long[] {total, d}).index_copy_(0, index, y);
    }

    /**
     * Payload bytes one rank sends off-rank in one dispatch (and again in the combine) when its
     * {@code tokens} tokens are spread evenly over all experts (balanced routing, N·k a multiple of
     * E): tokens × k × d × elementBytes × (W − 1) / W — the share of pairs whose expert lives elsewhere.
     */
    public static long balancedOffRankBytes(long tokens, int k, long d, long elementBytes, int worldSize) {
        return tokens * k * d * elementBytes * (worldSize - 1) / worldSize;
    }

    private static long sum(long[] a) {
        long s = 0;
        for (long v : a) {
            s += v;
        }
        return s;
    }
}
