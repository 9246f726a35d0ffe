/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.translate.NoopTranslator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One model run, done the same way in the test JVM (engine "Metal") and in the reference child JVM
 * (engine "PyTorch"), so that any difference between the two is the engine's.
 */
public final class ModelRun {

    /** What to run. */
    public static final class Request {
        public final String name;
        public final Path model;
        public final List<Path> inputs;
        public int forwards = 1;
        /** Random seed set before every forward (for dropout), or null. */
        public Integer seed;
        /**
         * Backward of sum(output0 * weights) with every floating-point input requiring grad, or null for
         * inference.
         */
        public Path gradientWeights;

        public Request(String name, Path model, List<Path> inputs) {
            this.name = name;
            this.model = model;
            this.inputs = inputs;
        }

        String encode() {
            StringBuilder sb = new StringBuilder();
            sb.append(name).append('|').append(model).append('|').append(forwards).append('|');
            sb.append(seed == null ? "" : seed.toString()).append('|');
            sb.append(gradientWeights == null ? "" : gradientWeights.toString()).append('|');
            for (int i = 0; i < inputs.size(); ++i) {
                sb.append(i == 0 ? "" : ",").append(inputs.get(i));
            }
            return sb.toString();
        }

        static Request decode(String line) {
            String[] f = line.split("\\|", -1);
            List<Path> inputs = new ArrayList<>();
            for (String p : f[5].split(",")) {
                if (!p.isEmpty()) {
                    inputs.add(Path.of(p));
                }
            }
            Request r = new Request(f[0], Path.of(f[1]), inputs);
            r.forwards = Integer.parseInt(f[2]);
            r.seed = f[3].isEmpty() ? null : Integer.valueOf(f[3]);
            r.gradientWeights = f[4].isEmpty() ? null : Path.of(f[4]);
            return r;
        }
    }

    /** What came out: the outputs of every forward in order, then input gradients, or an error. */
    public static final class Result {
        public final List<Npy.Data> outputs = new ArrayList<>();
        public final List<Npy.Data> gradients = new ArrayList<>();
        public String error;
    }

    private ModelRun() {}

    /**
     * Runs a request on an engine and writes its results as {@code <dir>/<name>.out<i>.npy}, {@code
     * .grad<i>.npy} or {@code .error}.
     *
     * @param engine the engine name
     * @param request the request
     * @param dir where results go
     * @throws IOException if inputs cannot be read or results cannot be written
     */
    public static void runToFiles(String engine, Request request, Path dir) throws IOException {
        Result result = run(engine, request);
        if (result.error != null) {
            Files.writeString(dir.resolve(request.name + ".error"), result.error);
            return;
        }
        for (int i = 0; i < result.outputs.size(); ++i) {
            Npy.write(result.outputs.get(i), dir.resolve(request.name + ".out" + i + ".npy"));
        }
        for (int i = 0; i < result.gradients.size(); ++i) {
            Npy.write(result.gradients.get(i), dir.resolve(request.name + ".grad" + i + ".npy"));
        }
    }

    /**
     * Runs a request on an engine in this JVM.
     *
     * @param engine the engine name
     * @param request the request
     * @return the outputs, gradients or error
     * @throws IOException if inputs cannot be read
     */
    public static Result run(String engine, Request request) throws IOException {
        Result result = new Result();
        try (NDManager scratch = NDManager.newBaseManager(engine)) {
            List<NDArray> outputs = new ArrayList<>();
            List<NDArray> gradients = new ArrayList<>();
            try {
                run(engine, request, scratch, outputs, gradients);
            } catch (IOException e) {
                throw e;
            } catch (Exception e) {
                result.error = String.valueOf(e.getMessage());
                return result;
            }
            for (NDArray a : outputs) {
                result.outputs.add(snapshot(a));
            }
            for (NDArray a : gradients) {
                result.gradients.add(snapshot(a));
            }
        }
        return result;
    }

    private static Npy.Data snapshot(NDArray a) {
        return new Npy.Data(a.getDataType(), a.getShape(), a.toByteBuffer());
    }

    private static void run(
            String engine,
            Request request,
            NDManager scratch,
            List<NDArray> outputs,
            List<NDArray> gradients)
            throws Exception {
        Criteria<NDList, NDList> criteria =
                Criteria.builder()
                        .setTypes(NDList.class, NDList.class)
                        .optModelPath(request.model)
                        .optEngine(engine)
                        .optTranslator(new NoopTranslator())
                        .build();
        try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
            NDList inputs = new NDList();
            for (Path p : request.inputs) {
                inputs.add(Npy.read(scratch, p));
            }
            if (request.gradientWeights != null) {
                runBackward(engine, model, request, inputs, scratch, outputs, gradients);
                return;
            }
            try (Predictor<NDList, NDList> predictor = model.newPredictor()) {
                for (int f = 0; f < request.forwards; ++f) {
                    if (request.seed != null) {
                        Engine.getEngine(engine).setRandomSeed(request.seed);
                    }
                    NDList out = predictor.predict(inputs);
                    for (NDArray a : out) {
                        a.attach(scratch);
                        outputs.add(a);
                    }
                }
            }
        }
    }

    private static void runBackward(
            String engine,
            ZooModel<NDList, NDList> model,
            Request request,
            NDList inputs,
            NDManager scratch,
            List<NDArray> outputs,
            List<NDArray> gradients)
            throws IOException {
        NDArray weights = Npy.read(scratch, request.gradientWeights);
        List<NDArray> differentiable = new ArrayList<>();
        for (NDArray a : inputs) {
            if (a.getDataType().isFloating()) {
                a.setRequiresGradient(true);
                differentiable.add(a);
            }
        }
        try (GradientCollector collector = Engine.getEngine(engine).newGradientCollector()) {
            NDList out = model.getBlock().forward(new ParameterStore(scratch, false), inputs, true);
            outputs.add(out.get(0));
            collector.backward(out.get(0).mul(weights).sum());
        }
        for (NDArray a : differentiable) {
            gradients.add(a.getGradient());
        }
    }
}
