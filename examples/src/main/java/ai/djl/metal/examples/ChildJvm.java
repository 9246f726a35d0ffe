/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A warm child JVM on this JVM's class path serving the benchmarks: one request line on its standard input,
 * one answer line on its standard output, marked with {@link #REPLY} (anything else a library prints there
 * is passed on to our standard error); its standard error goes to ours.
 */
final class ChildJvm implements AutoCloseable {

    /** What a child's answer lines start with. */
    static final String REPLY = "@@ ";

    private static final String ENDED = "\u0000ended";

    private final Process process;
    private final BufferedWriter in;
    private final BlockingQueue<String> replies = new LinkedBlockingQueue<>();

    /**
     * Starts the child.
     *
     * @param arguments JVM options, the main class and its arguments
     * @throws IOException if it cannot start
     */
    ChildJvm(List<String> arguments) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(arguments);
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Thread reader =
                new Thread(
                        () -> {
                            try {
                                for (String line; (line = out.readLine()) != null; ) {
                                    if (line.startsWith(REPLY)) {
                                        replies.add(line.substring(REPLY.length()));
                                    } else {
                                        System.err.println(line);
                                    }
                                }
                            } catch (IOException e) {
                                // the child is gone: reported below as its end
                            }
                            replies.add(ENDED);
                        },
                        "child-jvm-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Waits for the child's next answer.
     *
     * @param what what the answer is for, for the error
     * @param timeoutSeconds how long to wait
     * @return the answer
     * @throws IOException if the child ended or did not answer in time (it is then stopped)
     */
    String reply(String what, long timeoutSeconds) throws IOException {
        String line;
        try {
            line = replies.poll(timeoutSeconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for " + what, e);
        }
        if (line == null || ENDED.equals(line)) {
            process.destroyForcibly();
            throw new IOException(
                    "the child JVM " + (line == null ? "did not answer in " + timeoutSeconds + " s" : "ended")
                            + ", at " + what);
        }
        return line;
    }

    /**
     * Sends one request and waits for its answer.
     *
     * @param request the request line
     * @param timeoutSeconds how long to wait
     * @return the answer
     * @throws IOException if the child ended or did not answer in time
     */
    String request(String request, long timeoutSeconds) throws IOException {
        in.write(request + "\n");
        in.flush();
        return reply(request, timeoutSeconds);
    }

    @Override
    public void close() {
        try {
            in.close();
            if (!process.waitFor(1, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
