/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.metal.examples.TorchScriptFile;
import ai.djl.metal.sdpa.Attention;
import ai.djl.metal.sdpa.AttentionOptions;
import ai.djl.metal.sdpa.FloatType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One {@code scaled_dot_product_attention} call as a TorchScript module: float32 inputs are cast to the
 * call's dtype and laid out as the case asks (transposed views, sliced KV caches, strided last dims)
 * inside the module, so bfloat16 never crosses DJL's Java API. The module returns the result widened to
 * float64 (exact for every input dtype) and the result's strides. {@link #callApi} makes the same call
 * through the Java {@code Attention} API.
 */
public final class SdpaModule {

    /** How q, k and v reach SDPA. */
    public enum Layout {
        /** As given. */
        CONTIGUOUS,
        /** Inputs are {@code [B, L, H, D]}; SDPA sees {@code transpose(1, 2)} views. */
        TRANSPOSED,
        /** Key and value are a longer cache; SDPA sees its first {@code lenK} rows. */
        KV_CACHE_SLICE,
        /** Inputs have twice the head dim; SDPA sees every second element (last stride 2). */
        STRIDED_LAST_DIM
    }

    /** Mask argument. */
    public enum Mask {
        NONE,
        BOOL,
        /** Additive float32 mask. */
        FLOAT32,
        /** Additive mask cast to the call's dtype. */
        SAME_DTYPE,
        /** Additive float32 mask in sparse COO layout. */
        SPARSE
    }

    public final String name;
    public String dtype = "float32";
    public Layout layout = Layout.CONTIGUOUS;
    public Mask mask = Mask.NONE;
    public boolean causal;
    public Double scale;
    public boolean enableGqa;
    public double dropoutP;
    /** Sequence length SDPA sees for key/value with {@link Layout#KV_CACHE_SLICE}. */
    public long lenK;
    /**
     * Computes in float64 on inputs first rounded to {@link #dtype}: PyTorch's float64 answer to the same
     * rounded question, as the reference for a native kernel.
     */
    public boolean float64Reference;

    public SdpaModule(String name) {
        this.name = name;
    }

    /**
     * Returns query and key/value shapes {@code [B, H, L, D]}.
     *
     * @param b batch
     * @param h heads (query and key/value)
     * @param lq query length
     * @param lk key length
     * @param d head dim
     * @return {q shape, k/v shape}
     */
    public static long[][] qkv(long b, long h, long lq, long lk, long d) {
        return shapes(new long[] {b, h, lq, d}, new long[] {b, h, lk, d});
    }

    /**
     * Pairs a query shape with a key/value shape.
     *
     * @param q query shape
     * @param kv key and value shape
     * @return {q, kv}
     */
    public static long[][] shapes(long[] q, long[] kv) {
        return new long[][] {q, kv};
    }

    /**
     * Writes random float32 inputs for this module: q, k, v of the given shapes (with twice the head dim
     * for {@link Layout#STRIDED_LAST_DIM}, which takes every second element), then the mask if any.
     *
     * @param in the generator
     * @param shapes {q shape, k/v shape} as SDPA sees them
     * @param mask the mask file, or null
     * @return the input files in forward order
     */
    public List<Path> randomInputs(RandomInputs in, long[][] shapes, Path mask) {
        long[] q = shapes[0].clone();
        long[] kv = shapes[1].clone();
        if (layout == Layout.STRIDED_LAST_DIM) {
            q[q.length - 1] *= 2;
            kv[kv.length - 1] *= 2;
        }
        List<Path> inputs = new ArrayList<>();
        inputs.add(in.normal(name + ".q", q));
        inputs.add(in.normal(name + ".k", kv));
        inputs.add(in.normal(name + ".v", kv));
        if (mask != null) {
            inputs.add(mask);
        }
        return inputs;
    }

    /**
     * Returns the same call computed in float64 on inputs first rounded to this module's dtype ({@link
     * #float64Reference}), named {@code <name>_ref64}.
     *
     * @return the reference module
     */
    public SdpaModule float64Twin() {
        SdpaModule ref = new SdpaModule(name + "_ref64");
        ref.dtype = dtype;
        ref.layout = layout;
        ref.lenK = lenK;
        ref.mask = mask;
        ref.causal = causal;
        ref.scale = scale;
        ref.enableGqa = enableGqa;
        ref.dropoutP = dropoutP;
        ref.float64Reference = true;
        return ref;
    }

    /**
     * Returns the TorchScript dtype code.
     *
     * @return the code
     */
    public int dtypeCode() {
        switch (dtype) {
            case "float16":
                return 5;
            case "float32":
                return 6;
            case "float64":
                return 7;
            case "bfloat16":
                return 15;
            default:
                throw new IllegalArgumentException(dtype);
        }
    }

    private static String literal(double v) {
        if (Double.isNaN(v)) {
            return "float(\"nan\")";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "float(\"inf\")" : "float(\"-inf\")";
        }
        return Double.toString(v);
    }

    /**
     * Writes the module.
     *
     * @param dir the directory
     * @return the archive path
     * @throws IOException if it cannot be written
     */
    public Path write(Path dir) throws IOException {
        int dt = dtypeCode();
        List<String> body = new ArrayList<>();
        for (String t : new String[] {"q", "k", "v"}) {
            body.add(t + "0 = torch.to(" + t + ", " + dt + ")");
            if (float64Reference) {
                body.add(t + "0 = torch.to(" + t + "0, 7)");
            }
            switch (layout) {
                case TRANSPOSED:
                    body.add(t + "0 = torch.transpose(" + t + "0, 1, 2)");
                    break;
                case KV_CACHE_SLICE:
                    if (!"q".equals(t)) {
                        body.add(t + "0 = torch.slice(" + t + "0, -2, 0, " + lenK + ")");
                    }
                    break;
                case STRIDED_LAST_DIM:
                    body.add(t + "0 = torch.slice(" + t + "0, -1, 0, 9223372036854775807, 2)");
                    break;
                default:
                    break;
            }
        }
        String maskArg = "None";
        if (mask == Mask.SAME_DTYPE || (float64Reference && mask == Mask.FLOAT32)) {
            body.add("m0 = torch.to(mask, " + (mask == Mask.SAME_DTYPE ? dt : 6) + ")");
            if (float64Reference) {
                body.add("m0 = torch.to(m0, 7)");
            }
            maskArg = "m0";
        } else if (mask == Mask.SPARSE) {
            body.add("m0 = torch.to_sparse(mask)");
            maskArg = "m0";
        } else if (mask != Mask.NONE) {
            maskArg = "mask";
        }
        body.add(
                String.format(
                        Locale.ROOT,
                        "out = torch.scaled_dot_product_attention(q0, k0, v0, %s, %s, %s, scale=%s,"
                                + " enable_gqa=%s)",
                        maskArg,
                        literal(dropoutP),
                        causal ? "True" : "False",
                        scale == null ? "None" : literal(scale),
                        enableGqa ? "True" : "False"));
        body.add("return (torch.to(out, 7), torch.tensor(torch.stride(out)))");
        String params = "q: Tensor, k: Tensor, v: Tensor" + (mask == Mask.NONE ? "" : ", mask: Tensor");
        return TorchScriptFile.write(dir.resolve(name + ".pt"), params, "Tuple[Tensor, Tensor]", body);
    }

    private NDArray toCallType(NDArray a) {
        return FloatType.valueOf(dtype.toUpperCase(Locale.ROOT)).cast(a);
    }

    private NDArray laidOut(NDArray a, boolean keyOrValue) {
        switch (layout) {
            case TRANSPOSED:
                return a.transpose(0, 2, 1, 3);
            case KV_CACHE_SLICE:
                return keyOrValue ? a.get(new NDIndex("..., 0:{}, :", lenK)) : a;
            case STRIDED_LAST_DIM:
                return a.get(new NDIndex("..., ::2"));
            default:
                return a;
        }
    }

    /**
     * Makes this call through the Java API ({@link Attention#scaledDotProductAttention}) on the inputs
     * {@link #randomInputs} wrote, cast and laid out as {@link #write} does in TorchScript.
     *
     * @param manager the manager of the inputs and the result
     * @param inputs q, k, v and the mask if any, as {@link #randomInputs} returned them
     * @return the result widened to float64
     * @throws IOException if an input cannot be read
     * @throws ai.djl.engine.EngineException with PyTorch's message if the call is invalid
     */
    public NDArray callApi(NDManager manager, List<Path> inputs) throws IOException {
        if (float64Reference || mask == Mask.SPARSE) {
            throw new IllegalStateException(name + ": the Java API form covers calls of a dtype, dense masks");
        }
        NDArray q = laidOut(toCallType(Npy.read(manager, inputs.get(0))), false);
        NDArray k = laidOut(toCallType(Npy.read(manager, inputs.get(1))), true);
        NDArray v = laidOut(toCallType(Npy.read(manager, inputs.get(2))), true);
        AttentionOptions.Builder options =
                AttentionOptions.builder().optDropoutP(dropoutP).optCausal(causal).optEnableGqa(enableGqa);
        if (mask != Mask.NONE) {
            NDArray m = Npy.read(manager, inputs.get(3));
            options.optAttnMask(mask == Mask.SAME_DTYPE ? toCallType(m) : m);
        }
        if (scale != null) {
            options.optScale(scale);
        }
        return FloatType.FLOAT64.cast(Attention.scaledDotProductAttention(q, k, v, options.build()));
    }
}
