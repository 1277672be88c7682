package knobs.kernels;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.bytedeco.pytorch.Edge;
import org.bytedeco.pytorch.EdgeVector;
import org.bytedeco.pytorch.Node;
import org.bytedeco.pytorch.SymIntArrayRef;
import org.bytedeco.pytorch.Tensor;

/**
 * Counts the matmul FLOPs of a backward from the autograd graph its forward recorded, independently
 * of {@link CostModel} and of {@link FlopCounter} (whose Java-side hooks cannot see autograd's C++
 * backward kernels): the check of {@link CostModel#backward}'s "2× the forward" against what runs.
 *
 * <p>It walks every node reachable from the loss's {@code grad_fn} — exactly the nodes libtorch's
 * engine executes on {@code backward()} — and reads each matmul node's shapes from the graph itself
 * (the node's incoming gradient, and the operands through the nodes its edges lead to). A matmul
 * {@code Y (m×n) = A (m×k) · B (k×n)} computes {@code dA = dY·Bᵀ} only when A needs a gradient
 * (its edge is valid) and {@code dB = Aᵀ·dY} only when B does, each 2·m·k·n FLOPs; so an operand
 * that needs no gradient (token ids are gathered, pixels go in as data) is seen to cost nothing,
 * whatever the formula assumed. Nodes: {@code Mm}, {@code Bmm}, {@code Mv}, {@code Addmm},
 * and scaled-dot-product attention's fused backward (flash / efficient / cuDNN), counted as four
 * matmuls of the forward's sizes (dQ, dK, dV and dP: PyTorch's flop-counter convention; the flash
 * kernel's recomputation of the scores is not counted, as in {@link CostModel}). A node whose name
 * looks like a matmul but is none of these fails loudly instead of being counted as zero.
 *
 * <p>Read the graph after the forward; after {@code backward()} too (the nodes and their metadata
 * outlive the released activations), as long as the loss tensor is alive.
 */
public final class BackwardFlops {
    /** Names of backward nodes that may hide a matmul this class does not know: refused, not skipped. */
    private static final Pattern MATMUL_LIKE = Pattern.compile(
            "(?i).*(mm|mv|matmul|linear|conv|attention|dot|einsum|addr|bilinear|tensordot).*");

    private BackwardFlops() {
    }

    /** Total matmul FLOPs of {@code loss.backward()}. */
    public static long of(Tensor loss) {
        return byNode(loss).values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Matmul FLOPs of {@code loss.backward()} per kind of node ({@code MmBackward0}, ...); nodes that
     * do no matmul are left out.
     *
     * @throws IllegalArgumentException when {@code loss} has no autograd graph
     * @throws IllegalStateException    on a matmul-like node this class cannot count
     */
    public static Map<String, Long> byNode(Tensor loss) {
        Node root = loss.grad_fn();
        if (root == null || root.isNull()) {
            throw new IllegalArgumentException("the tensor has no autograd graph (computed with autograd off, or a leaf)");
        }
        Map<String, Long> flops = new TreeMap<>();
        Set<Long> seen = new HashSet<>();
        Deque<Node> queue = new ArrayDeque<>();
        queue.add(root);
        seen.add(root.address());
        while (!queue.isEmpty()) {
            Node node = queue.poll();
            String name = node.name().getString();
            long f = flops(name, node);
            if (f > 0) {
                flops.merge(name, f, Long::sum);
            }
            EdgeVector edges = node.next_edges();
            for (long i = 0; i < edges.size(); i++) {
                Edge e = edges.get(i);
                if (e.is_valid()) {
                    Node next = e.function();
                    if (seen.add(next.address())) {
                        queue.add(next);
                    }
                }
            }
        }
        return flops;
    }

    /** FLOPs of one node's backward. */
    private static long flops(String name, Node node) {
        if (name.startsWith("MmBackward")) {
            return matmul(node, 0, 1, false);
        }
        if (name.startsWith("AddmmBackward")) {
            return matmul(node, 1, 2, false); // input 0 is the added term
        }
        if (name.startsWith("BmmBackward")) {
            return matmul(node, 0, 1, true);
        }
        if (name.startsWith("MvBackward")) {
            long[] y = incoming(node);                  // (m)
            long[] a = operand(node, 0);
            long n = a != null ? a[1] : operand(node, 1)[0];
            return gradients(node, 0, 1) * 2 * y[0] * n;
        }
        if (name.startsWith("ScaledDotProduct") && name.contains("Attention")) {
            long[] out = incoming(node);                // (B, nh, Tq, hs)
            long[] k = operand(node, 1);
            if (k == null || !valid(node, 0) || !valid(node, 2)) {
                throw new IllegalStateException(name + " with a query, key or value that needs no gradient is not"
                        + " counted by this class");
            }
            long rows = out[0] * out[1] * out[2];
            return 2 * (2 * 2 * rows * k[k.length - 2] * out[3]); // 2× the forward's QKᵀ and AV
        }
        if (MATMUL_LIKE.matcher(name).matches()) {
            throw new IllegalStateException("backward node " + name + " may run a matmul that this count does not know;"
                    + " add it to BackwardFlops");
        }
        return 0;
    }

    /** A (batched) matmul node: Y (…, m, n) = A (…, m, k) · B (…, k, n) with A and B at inputs {@code a} and {@code b}. */
    private static long matmul(Node node, int a, int b, boolean batched) {
        long[] y = incoming(node);
        long[] left = operand(node, a);
        long k = left != null ? left[left.length - 1] : operand(node, b)[batched ? 1 : 0];
        long elements = 1;
        for (long s : y) {
            elements *= s;                          // (batch ·) m · n
        }
        return gradients(node, a, b) * 2 * elements * k;
    }

    /** How many of the two operands at inputs {@code a} and {@code b} need a gradient. */
    private static int gradients(Node node, int a, int b) {
        return (valid(node, a) ? 1 : 0) + (valid(node, b) ? 1 : 0);
    }

    private static boolean valid(Node node, int input) {
        return input < node.num_outputs() && node.next_edge(input).is_valid();
    }

    /** The shape of the gradient flowing into the node: the forward output's. */
    private static long[] incoming(Node node) {
        return shape(node.input_metadata(0).shape_as_dim_vector());
    }

    /** The shape of the forward's input {@code input}, read from the node its gradient goes to; null when it needs none. */
    private static long[] operand(Node node, int input) {
        if (!valid(node, input)) {
            return null;
        }
        Edge e = node.next_edge(input);
        return shape(e.function().input_metadata(e.input_nr()).shape_as_dim_vector());
    }

    private static long[] shape(SymIntArrayRef dims) {
        long[] out = new long[(int) dims.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dims.at(i).expect_int();
        }
        return out;
    }
}
