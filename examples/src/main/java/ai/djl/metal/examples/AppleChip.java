/*
 * DJL Metal engine.
 */
package ai.djl.metal.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The machine a benchmark ran on, and the peaks its figures are compared with.
 *
 * <p>The chip is read from {@code sysctl machdep.cpu.brand_string}, its GPU core count from the
 * accelerator's {@code gpu-core-count} in the I/O registry. Peaks are estimates from public figures, not
 * measurements: FP32 throughput per GPU core of each generation times the core count (Apple GPUs run
 * float16 and bfloat16 arithmetic at the FP32 rate; bfloat16 is emulated on M1 and M2), and the memory
 * bandwidth Apple states for each chip. Percentages of them are indicative only.
 */
public final class AppleChip {

    // Generation: FP32 TFLOPS per GPU core (128 ALUs, 2 FLOP per FMA, at the generation's GPU clock).
    private static final Object[][] PER_CORE_TFLOPS = {
        {"M1", 0.327}, {"M2", 0.358}, {"M3", 0.358}, {"M4", 0.425}
    };

    // Chip name: memory bandwidth in GB/s (the highest configuration where variants differ).
    private static final Object[][] BANDWIDTH = {
        {"M1", 68.0}, {"M1 Pro", 200.0}, {"M1 Max", 400.0}, {"M1 Ultra", 800.0},
        {"M2", 100.0}, {"M2 Pro", 200.0}, {"M2 Max", 400.0}, {"M2 Ultra", 800.0},
        {"M3", 100.0}, {"M3 Pro", 150.0}, {"M3 Max", 400.0}, {"M3 Ultra", 819.0},
        {"M4", 120.0}, {"M4 Pro", 273.0}, {"M4 Max", 546.0}
    };

    /** The chip's marketing name, e.g. "Apple M2 Pro", or what the OS said when it is not an Apple chip. */
    public final String name;
    /** GPU cores, or 0 when unknown. */
    public final int gpuCores;
    /** Estimated peak FP32 (and float16) TFLOPS, or 0 when unknown. */
    public final double peakTflops;
    /** Stated memory bandwidth in GB/s, or 0 when unknown. */
    public final double peakGbps;
    /** The operating system, e.g. "Mac OS X 14.5 aarch64". */
    public final String os;
    /** Physical memory in bytes (shared by CPU and GPU), or 0 when unknown. */
    public final long memoryBytes;

    private AppleChip(String name, int gpuCores, long memoryBytes) {
        this.name = name;
        this.gpuCores = gpuCores;
        this.memoryBytes = memoryBytes;
        this.os =
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch");
        Matcher m = Pattern.compile("Apple (M[0-9])( (Pro|Max|Ultra))?").matcher(name);
        double tflops = 0;
        double gbps = 0;
        if (m.find()) {
            String generation = m.group(1);
            String chip = m.group(2) == null ? generation : generation + m.group(2);
            for (Object[] row : PER_CORE_TFLOPS) {
                if (row[0].equals(generation) && gpuCores > 0) {
                    tflops = (Double) row[1] * gpuCores;
                }
            }
            for (Object[] row : BANDWIDTH) {
                if (row[0].equals(chip)) {
                    gbps = (Double) row[1];
                }
            }
        }
        this.peakTflops = tflops;
        this.peakGbps = gbps;
    }

    /**
     * Reads the chip of this machine.
     *
     * @return what could be found out
     */
    public static AppleChip detect() {
        String brand = run(List.of("/usr/sbin/sysctl", "-n", "machdep.cpu.brand_string")).trim();
        if (brand.isEmpty()) {
            brand = "unknown (" + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ")";
        }
        Matcher cores =
                Pattern.compile("\"gpu-core-count\" = ([0-9]+)")
                        .matcher(run(List.of("/usr/sbin/ioreg", "-rc", "AGXAccelerator", "-d1")));
        String memory = run(List.of("/usr/sbin/sysctl", "-n", "hw.memsize")).trim();
        return new AppleChip(
                brand,
                cores.find() ? Integer.parseInt(cores.group(1)) : 0,
                memory.matches("[0-9]+") ? Long.parseLong(memory) : 0);
    }

    /**
     * Describes the chip and its peaks in one line.
     *
     * @return the description
     */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%s, %s GPU cores, peak about %s TFLOPS and %s GB/s (estimates); %s",
                name,
                gpuCores > 0 ? Integer.toString(gpuCores) : "unknown",
                peakTflops > 0 ? String.format(Locale.ROOT, "%.1f", peakTflops) : "unknown",
                peakGbps > 0 ? String.format(Locale.ROOT, "%.0f", peakGbps) : "unknown",
                os);
    }

    // A command's standard output, or "" when it cannot run here (not a Mac) or takes too long.
    private static String run(List<String> command) {
        Path out = null;
        try {
            out = Files.createTempFile("apple-chip", ".txt");
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            return p.exitValue() == 0 ? Files.readString(out) : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a temporary file left behind
                }
            }
        }
    }
}
