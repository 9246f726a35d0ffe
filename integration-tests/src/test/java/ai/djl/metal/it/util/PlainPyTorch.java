/*
 * DJL Metal engine.
 */
package ai.djl.metal.it.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs model requests on DJL's plain PyTorch engine in a child JVM.
 *
 * <p>The Metal engine's override is process-wide, so the reference must come from a process where it
 * was never installed. The child has the same class path but only ever asks for engine "PyTorch".
 */
public final class PlainPyTorch {

    private PlainPyTorch() {}

    /**
     * Runs every request in one child JVM.
     *
     * @param requests the requests
     * @return results by request name, in request order
     * @throws IOException if the child fails or results cannot be read
     */
    public static Map<String, ModelRun.Result> run(List<ModelRun.Request> requests)
            throws IOException {
        return run(requests, Map.of());
    }

    /**
     * Runs every request in one child JVM with extra environment variables.
     *
     * @param requests the requests
     * @param environment added to the child's environment
     * @return results by request name, in request order
     * @throws IOException if the child fails or results cannot be read
     */
    public static Map<String, ModelRun.Result> run(
            List<ModelRun.Request> requests, Map<String, String> environment) throws IOException {
        Path dir = Files.createTempDirectory(Workspace.root(), "plain-");
        Path jobs = dir.resolve("jobs.txt");
        List<String> lines = new ArrayList<>();
        for (ModelRun.Request r : requests) {
            lines.add(r.encode());
        }
        Files.write(jobs, lines);
        runChild(List.of(PlainPyTorch.class.getName(), jobs.toString()), environment, dir);
        Map<String, ModelRun.Result> results = new LinkedHashMap<>();
        for (ModelRun.Request r : requests) {
            results.put(r.name, readResult(dir, r.name));
        }
        return results;
    }

    /**
     * Runs a main class in a child JVM with this JVM's class path and waits for it.
     *
     * @param command the main class and its arguments
     * @param environment added to the child's environment
     * @param dir working directory; the child's output goes to {@code child.log} there
     * @throws IOException if the child cannot start or exits with an error
     */
    public static void runChild(List<String> command, Map<String, String> environment, Path dir)
            throws IOException {
        runChild(System.getProperty("java.class.path"), command, environment, dir);
    }

    /**
     * Runs a main class in a child JVM with the given class path and waits for it.
     *
     * @param classPath the child's class path
     * @param command the main class and its arguments
     * @param environment added to the child's environment
     * @param dir working directory; the child's output goes to {@code child.log} there
     * @throws IOException if the child cannot start or exits with an error
     */
    public static void runChild(
            String classPath, List<String> command, Map<String, String> environment, Path dir)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(environment);
        pb.redirectErrorStream(true);
        Path log = dir.resolve("child.log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException("reference JVM timed out; see " + log);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(
                    "reference JVM exited with " + p.exitValue() + ":\n" + Files.readString(log));
        }
    }

    private static ModelRun.Result readResult(Path dir, String name) throws IOException {
        ModelRun.Result result = new ModelRun.Result();
        Path error = dir.resolve(name + ".error");
        if (Files.exists(error)) {
            result.error = Files.readString(error);
            return result;
        }
        for (int i = 0; Files.exists(dir.resolve(name + ".out" + i + ".npy")); ++i) {
            result.outputs.add(Npy.read(dir.resolve(name + ".out" + i + ".npy")));
        }
        for (int i = 0; Files.exists(dir.resolve(name + ".grad" + i + ".npy")); ++i) {
            result.gradients.add(Npy.read(dir.resolve(name + ".grad" + i + ".npy")));
        }
        if (result.outputs.isEmpty()) {
            throw new IOException("reference JVM wrote no result for " + name);
        }
        return result;
    }

    /**
     * Child entry point: runs the requests listed in a job file on engine "PyTorch".
     *
     * @param args the job file
     * @throws IOException if the job file cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path jobs = Path.of(args[0]);
        for (String line : Files.readAllLines(jobs)) {
            if (!line.isBlank()) {
                ModelRun.runToFiles("PyTorch", ModelRun.Request.decode(line), jobs.getParent());
            }
        }
    }
}
