/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples.serving;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import java.util.Locale;

/**
 * The service's JSON for tensors: {@code {"inputs": [{"shape": [2, 18], "dtype": "int64", "data": [...]},
 * ...]}} in, {@code {"outputs": [...]}} out (float32, non-finite values as null), data flattened in row-major
 * order. Inputs may be {@code int64} or {@code float32}.
 */
final class TensorJson {

    private static final long MAX_ELEMENTS = 1 << 24;

    private TensorJson() {}

    /** A request the service refuses, with the message the client gets (HTTP 400). */
    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message);
        }
    }

    static NDList parse(String body, NDManager manager) throws BadRequest {
        JsonElement root;
        try {
            root = JsonParser.parseString(body);
        } catch (JsonParseException e) {
            throw new BadRequest("the body is not JSON: " + e.getMessage());
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("inputs")) {
            throw new BadRequest("expected {\"inputs\": [{\"shape\": [...], \"dtype\": ..., \"data\": [...]}, ...]}");
        }
        JsonElement inputs = root.getAsJsonObject().get("inputs");
        if (!inputs.isJsonArray() || inputs.getAsJsonArray().isEmpty()) {
            throw new BadRequest("\"inputs\" must be a non-empty array");
        }
        NDList list = new NDList();
        int i = 0;
        for (JsonElement e : inputs.getAsJsonArray()) {
            list.add(tensor(e, "inputs[" + i++ + "]", manager));
        }
        return list;
    }

    private static NDArray tensor(JsonElement e, String where, NDManager manager) throws BadRequest {
        if (!e.isJsonObject()) {
            throw new BadRequest(where + " must be an object with shape, dtype and data");
        }
        JsonObject o = e.getAsJsonObject();
        long[] shape = longs(o.get("shape"), where + ".shape");
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new BadRequest(where + ".shape has a negative size");
            }
            elements *= d;
            if (elements > MAX_ELEMENTS) {
                throw new BadRequest(where + " has more than " + MAX_ELEMENTS + " elements");
            }
        }
        String dtype = o.has("dtype") ? o.get("dtype").getAsString().toLowerCase(Locale.ROOT) : "float32";
        JsonElement data = o.get("data");
        if (data == null || !data.isJsonArray() || data.getAsJsonArray().size() != elements) {
            throw new BadRequest(where + ".data must be an array of " + elements + " numbers (the shape's product)");
        }
        JsonArray values = data.getAsJsonArray();
        try {
            switch (dtype) {
                case "int64":
                    long[] l = new long[(int) elements];
                    for (int i = 0; i < l.length; ++i) {
                        l[i] = values.get(i).getAsLong();
                    }
                    return manager.create(l, new Shape(shape));
                case "float32":
                    float[] f = new float[(int) elements];
                    for (int i = 0; i < f.length; ++i) {
                        f[i] = values.get(i).getAsFloat();
                    }
                    return manager.create(f, new Shape(shape));
                default:
                    throw new BadRequest(where + ".dtype must be int64 or float32, not " + dtype);
            }
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw new BadRequest(where + ".data holds something that is not a number");
        }
    }

    private static long[] longs(JsonElement e, String where) throws BadRequest {
        if (e == null || !e.isJsonArray()) {
            throw new BadRequest(where + " must be an array of sizes");
        }
        JsonArray a = e.getAsJsonArray();
        long[] out = new long[a.size()];
        try {
            for (int i = 0; i < out.length; ++i) {
                out[i] = a.get(i).getAsLong();
            }
        } catch (NumberFormatException | UnsupportedOperationException | IllegalStateException ex) {
            throw new BadRequest(where + " must hold whole numbers");
        }
        return out;
    }

    static String write(NDList outputs) {
        JsonArray list = new JsonArray();
        for (NDArray a : outputs) {
            JsonObject o = new JsonObject();
            JsonArray shape = new JsonArray();
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            o.add("shape", shape);
            NDArray f = a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
            o.addProperty("dtype", "float32");
            JsonArray data = new JsonArray();
            for (float v : f.toFloatArray()) {
                if (Float.isFinite(v)) {
                    data.add(v);
                } else {
                    data.add(JsonNull.INSTANCE);  // JSON has no NaN or infinity
                }
            }
            o.add("data", data);
            list.add(o);
        }
        JsonObject root = new JsonObject();
        root.add("outputs", list);
        return root.toString();
    }
}
