/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The models and SDPA cases in {@code ../shared/fixtures}, as listed by its {@code meta.json}. */
public final class Fixtures {

    /** A traced Hugging Face model. */
    public static final class Model {
        public final String name;
        public final Path file;
        public final int sdpaNodes;
        public final int outIndex;
        public final List<Path> inputs = new ArrayList<>();
        public final Path expectedOutput;

        Model(Path dir, String name, JsonObject meta) {
            this.name = name;
            this.file = dir.resolve(name + ".pt");
            this.sdpaNodes = meta.get("sdpa_nodes").getAsInt();
            this.outIndex = meta.get("out_index").getAsInt();
            int n = meta.getAsJsonArray("inputs").size();
            for (int i = 0; i < n; ++i) {
                inputs.add(dir.resolve(name + ".in" + i + ".npy"));
            }
            this.expectedOutput = dir.resolve(name + ".out.npy");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** One SDPA call with PyTorch's float64 and native-dtype results. */
    public static final class SdpaCase {
        public final String name;
        public final String dtype;
        public final int heads;
        public final int kvHeads;
        public final boolean causal;
        public final String mask;
        public final Double scale;
        public final Path q;
        public final Path k;
        public final Path v;
        public final Path maskFile;
        public final Path ref64;
        public final Path torchOut;

        SdpaCase(Path dir, JsonObject c) {
            name = c.get("name").getAsString();
            dtype = c.get("dtype").getAsString();
            heads = c.get("Hq").getAsInt();
            kvHeads = c.get("Hkv").getAsInt();
            causal = c.get("causal").getAsBoolean();
            JsonElement m = c.get("mask");
            mask = m == null || m.isJsonNull() ? null : m.getAsString();
            JsonElement s = c.get("scale");
            scale = s == null || s.isJsonNull() ? null : s.getAsDouble();
            String prefix = "sdpa_" + name + ".";
            q = dir.resolve(prefix + "q.npy");
            k = dir.resolve(prefix + "k.npy");
            v = dir.resolve(prefix + "v.npy");
            maskFile = mask == null ? null : dir.resolve(prefix + "mask.npy");
            ref64 = dir.resolve(prefix + "ref64.npy");
            torchOut = dir.resolve(prefix + "torch.npy");
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private Fixtures() {}

    /**
     * Turns items into TestNG data-provider rows of one argument each.
     *
     * @param items the items
     * @return one row per item
     */
    public static Object[][] rows(List<?> items) {
        Object[][] rows = new Object[items.size()][];
        for (int i = 0; i < rows.length; ++i) {
            rows[i] = new Object[] {items.get(i)};
        }
        return rows;
    }

    private static JsonObject meta() {
        try {
            return JsonParser.parseString(Files.readString(Workspace.fixtures().resolve("meta.json")))
                    .getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Returns every model in the fixtures (skips the caller when the fixtures are absent).
     *
     * @return the models
     */
    public static List<Model> models() {
        Path dir = Workspace.fixtures();
        JsonObject meta = meta();
        List<Model> models = new ArrayList<>();
        for (String key : meta.keySet()) {
            JsonElement e = meta.get(key);
            if (e.isJsonObject() && e.getAsJsonObject().has("sdpa_nodes")) {
                models.add(new Model(dir, key, e.getAsJsonObject()));
            }
        }
        return models;
    }

    /**
     * Returns every SDPA case in the fixtures (skips the caller when the fixtures are absent).
     *
     * @return the cases
     */
    public static List<SdpaCase> sdpaCases() {
        Path dir = Workspace.fixtures();
        List<SdpaCase> cases = new ArrayList<>();
        for (JsonElement e : meta().getAsJsonArray("sdpa_cases")) {
            cases.add(new SdpaCase(dir, e.getAsJsonObject()));
        }
        return cases;
    }
}
