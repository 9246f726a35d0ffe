/*
 * DJL Metal engine.
 */
package ai.djl.metal.sdpa;

import ai.djl.engine.Engine;
import ai.djl.engine.EngineException;
import ai.djl.metal.jni.MetalLibrary;

import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Starts and describes the process-wide SDPA router (the native side of the engine).
 *
 * <p>Configuration, read once at engine start from system properties, else from environment variables
 * named like them in upper case with underscores ({@code AI_DJL_METAL_SDPA}, {@code AI_DJL_METAL_BACKEND}):
 *
 * <ul>
 *   <li>{@code ai.djl.metal.sdpa} = {@code auto} (default) | {@code native} | {@code off}, see {@link
 *       SdpaMode};
 *   <li>{@code ai.djl.metal.backend} = {@code auto} (default: Metal when a Metal device exists, else none)
 *       | {@code metal} | {@code simulator}. An explicit request that cannot be met fails the engine start.
 *   <li>{@code ai.djl.metal.cpu_min_flops} = a number &gt;= 0: with the Metal backend, calls on CPU tensors
 *       with fewer floating-point operations ({@code 4 * B * H * Lq * Lk * D}) stay on PyTorch ({@link
 *       FallbackReason#SMALL_CALL}), because a GPU round trip costs more than PyTorch takes for them. The
 *       default, 16,000,000, is an estimate until measured on a Mac.
 *   <li>{@code ai.djl.metal.breaker_failures} = a whole number &gt;= 0 (default 5) and {@code
 *       ai.djl.metal.breaker_seconds} = a number &gt;= 0 (default 30): after that many native calls in a row
 *       that the backend failed to run ({@link FallbackReason#GPU_ERROR}), native execution is suspended for
 *       that long ({@link FallbackReason#SUSPENDED}); then calls try again, and one that runs natively
 *       resumes it. 0 failures never suspends.
 *   <li>{@code ai.djl.metal.shadow} = a number from 0 to 1 (default 0): the fraction of native calls on CPU
 *       tensors that also run on PyTorch, compared against the dtype's tolerance ({@link SdpaStats} keeps
 *       the largest error and the divergent calls; a divergent call returns PyTorch's result), and {@code
 *       ai.djl.metal.shadow_disable} = {@code true} | {@code false} (default): whether a divergence turns
 *       native execution off for that call shape ({@link FallbackReason#DIVERGED}).
 * </ul>
 *
 * <p>Logging (logger {@code ai.djl.metal.sdpa.SdpaRouter}): one INFO line at start naming the active
 * backend and why; one WARN line the first time each fallback reason occurs, but for {@code no_backend},
 * which the INFO line has said; one DEBUG line per call when DEBUG is enabled at engine start.
 */
public final class SdpaRouter {

    /** System property selecting the {@link SdpaMode}. */
    public static final String SDPA_PROPERTY = "ai.djl.metal.sdpa";

    /** System property requesting a {@link Backend}. */
    public static final String BACKEND_PROPERTY = "ai.djl.metal.backend";

    /** System property: CPU-tensor calls under this many floating-point operations stay on PyTorch. */
    public static final String CPU_MIN_FLOPS_PROPERTY = "ai.djl.metal.cpu_min_flops";

    /** System property: failed native calls in a row that suspend native execution (0: never). */
    public static final String BREAKER_FAILURES_PROPERTY = "ai.djl.metal.breaker_failures";

    /** System property: seconds native execution stays suspended before calls try again. */
    public static final String BREAKER_SECONDS_PROPERTY = "ai.djl.metal.breaker_seconds";

    /** The JMX name of the {@link SdpaStatsMXBean} registered at start. */
    public static final String MBEAN_NAME = "ai.djl.metal:type=SdpaStats";

    /** System property: the fraction of native CPU-tensor calls also run on PyTorch and compared. */
    public static final String SHADOW_PROPERTY = "ai.djl.metal.shadow";

    /** System property: whether a divergence turns native execution off for that call shape. */
    public static final String SHADOW_DISABLE_PROPERTY = "ai.djl.metal.shadow_disable";

    private static final int DEFAULT_BREAKER_FAILURES = 5;
    private static final double DEFAULT_BREAKER_SECONDS = 30;

    private static final Logger logger = LoggerFactory.getLogger(SdpaRouter.class);

    /** The JavaCPP platforms the build makes a native library for. */
    private static final String[] BUILT_PLATFORMS = {"linux-x86_64", "macosx-arm64"};

    // Reachable for the life of the process: native code keeps a pointer to its thunk. Made at start, where a
    // missing native library can still be reported as such.
    private static NativeLogger logSink;

    private static volatile State state;

    private SdpaRouter() {}

    /**
     * Starts the router once per process (later calls return at once): finds libtorch's C shim, selects the
     * backend and installs the SDPA override unless the mode is {@link SdpaMode#OFF}.
     *
     * @throws EngineException if the configuration is invalid, an explicitly requested backend is not
     *     available, or the override cannot be installed in {@link SdpaMode#NATIVE} mode
     */
    public static void start() {
        if (state == null) {
            synchronized (SdpaRouter.class) {
                if (state == null) {
                    state = doStart();
                }
            }
        }
    }

    /**
     * Returns whether the router has started (the engine was created, or the router asked for), without
     * starting it.
     *
     * @return whether it has started
     */
    static boolean isStarted() {
        return state != null;
    }

    /**
     * Returns the configured mode.
     *
     * @return the mode
     */
    public static SdpaMode getMode() {
        start();
        return state.mode;
    }

    /**
     * Returns the active native backend.
     *
     * @return the backend, {@link Backend#NONE} when calls can only run on PyTorch
     */
    public static Backend getBackend() {
        start();
        return state.backend;
    }

    /**
     * Returns whether the active backend also runs SDPA calls on MPS tensors.
     *
     * @return whether MPS tensors run natively when supported
     */
    public static boolean readsMps() {
        start();
        return state.readsMps;
    }

    /**
     * Returns whether the libtorch override is installed (the SDPA calls of engine "Metal" are routed).
     *
     * @return whether the override is installed
     */
    public static boolean isOverrideInstalled() {
        start();
        return state.overrideInstalled;
    }

    /**
     * Returns the one-line status logged at start.
     *
     * @return the status
     */
    public static String status() {
        start();
        return state.status;
    }

    private static State doStart() {
        SdpaMode mode;
        int request;
        double cpuMinFlops;
        int breakerFailures;
        double breakerSeconds;
        double shadow;
        boolean shadowDisable;
        try {
            mode = SdpaMode.parse(setting(SDPA_PROPERTY));
            request = parseBackend(setting(BACKEND_PROPERTY));
            cpuMinFlops = parseCpuMinFlops(setting(CPU_MIN_FLOPS_PROPERTY));
            breakerFailures =
                    (int) parseNumber(BREAKER_FAILURES_PROPERTY, DEFAULT_BREAKER_FAILURES, 1e9, true);
            breakerSeconds = parseNumber(BREAKER_SECONDS_PROPERTY, DEFAULT_BREAKER_SECONDS, 1e6, false);
            shadow = parseNumber(SHADOW_PROPERTY, 0, 1, false);
            shadowDisable = parseBoolean(SHADOW_DISABLE_PROPERTY);
        } catch (IllegalArgumentException e) {
            throw new EngineException(e.getMessage(), e);
        }
        // libtorch must be in the process before the native side looks for it.
        Engine pytorch = Engine.getEngine("PyTorch");
        try {
            checkMirroredEnums();
            if (logSink == null) {
                logSink = new NativeLogger();
            }
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            throw new EngineException(noLibrary(), e);
        }
        String torch = MetalLibrary.loadTorch();
        if (!torch.isEmpty()) {
            throw new EngineException(
                    "Metal engine needs DJL 0.34 or later (libtorch 2.7 or later, with its C shim); this"
                            + " process has DJL "
                            + Engine.getDjlVersion()
                            + " with libtorch "
                            + pytorch.getVersion()
                            + ": "
                            + torch);
        }
        try {
            MetalLibrary.setLogFunction(logSink, logger.isDebugEnabled());
            MetalLibrary.configureBreaker(breakerFailures, breakerSeconds);
            MetalLibrary.configureShadow(shadow, shadowDisable);
            String why = MetalLibrary.selectBackend(request, cpuMinFlops);
            Backend backend = Backend.values()[MetalLibrary.activeBackend()];
            String error = MetalLibrary.startRouter(mode.ordinal());
            boolean installed = mode != SdpaMode.OFF && error.isEmpty();
            if (!error.isEmpty()) {
                if (mode == SdpaMode.NATIVE) {
                    throw new EngineException("Metal engine: SDPA override not installed: " + error);
                }
                logger.warn("Metal engine: SDPA override not installed, SDPA runs on PyTorch: {}", error);
            }
            String status = describe(mode, backend, why, installed);
            logger.info("Metal engine: {}", status);
            registerMBean(new SdpaStatsJmx(mode, backend));
            return new State(mode, backend, MetalLibrary.activeBackendReadsMps(), installed, status);
        } catch (EngineException e) {
            throw e;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            throw new EngineException("Metal engine failed to start: " + e.getMessage(), e);
        }
    }

    /** Registers the stats for JMX; a name taken (the engine in another class loader) leaves that one. */
    private static void registerMBean(SdpaStatsMXBean bean) {
        try {
            ObjectName name = new ObjectName(MBEAN_NAME);
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            if (!server.isRegistered(name)) {
                server.registerMBean(bean, name);
            }
        } catch (JMException e) {
            logger.warn("Metal engine: SDPA stats not registered for JMX as {}: {}", MBEAN_NAME, e.toString());
        }
    }

    /** Why the native library did not load: the platform, and the platforms this jar has a library for. */
    private static String noLibrary() {
        List<String> bundled = new ArrayList<>();
        for (String platform : BUILT_PLATFORMS) {
            String dir = "/ai/djl/metal/jni/" + platform + "/libjniMetalLibrary.";
            if (SdpaRouter.class.getResource(dir + "so") != null
                    || SdpaRouter.class.getResource(dir + "dylib") != null) {
                bundled.add(platform);
            }
        }
        return "Metal engine: no native library for this platform ("
                + Loader.getPlatform()
                + "); this jar has one for "
                + (bundled.isEmpty() ? "no platform" : String.join(", ", bundled))
                + ". DJL's other engines are not affected.";
    }

    /** The system property, else the environment variable {@code AI_DJL_METAL_...} of the same name. */
    private static String setting(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            value = System.getenv(property.toUpperCase(Locale.ROOT).replace('.', '_'));
        }
        return value;
    }

    private static int parseBackend(String value) {
        String v = value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto":
                return 0;
            case "metal":
                return 1;
            case "simulator":
                return 2;
            default:
                throw new IllegalArgumentException(
                        BACKEND_PROPERTY + " must be auto, metal or simulator, not \"" + value + '"');
        }
    }

    /** The threshold, or -1 for the native default. */
    private static double parseCpuMinFlops(String value) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        try {
            double flops = Double.parseDouble(value.trim());
            if (flops >= 0 && !Double.isInfinite(flops)) {
                return flops;
            }
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new IllegalArgumentException(
                CPU_MIN_FLOPS_PROPERTY + " must be a number >= 0, not \"" + value + '"');
    }

    private static boolean parseBoolean(String property) {
        String value = setting(property);
        if (value == null || value.isBlank() || "false".equalsIgnoreCase(value.trim())) {
            return false;
        }
        if ("true".equalsIgnoreCase(value.trim())) {
            return true;
        }
        throw new IllegalArgumentException(property + " must be true or false, not \"" + value + '"');
    }

    /** A setting that is a number from 0 to {@code max} (a whole one if {@code whole}), or its default. */
    private static double parseNumber(String property, double defaultValue, double max, boolean whole) {
        String value = setting(property);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            double v = Double.parseDouble(value.trim());
            if (v >= 0 && v <= max && (!whole || v == Math.rint(v))) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the message below says what is expected
        }
        throw new IllegalArgumentException(
                property
                        + " must be "
                        + (whole ? "a whole number" : "a number")
                        + " from 0 to "
                        + (long) max
                        + ", not \""
                        + value
                        + '"');
    }

    private static String describe(SdpaMode mode, Backend backend, String why, boolean installed) {
        String m = mode.name().toLowerCase(Locale.ROOT);
        if (mode == SdpaMode.OFF) {
            return "SDPA override off (" + SDPA_PROPERTY + "=off): every SDPA call runs on PyTorch";
        }
        String route = installed ? "SDPA override installed, mode " + m : "SDPA override missing";
        return route + "; backend " + backend.id() + " (" + why + ')';
    }

    private static void checkMirroredEnums() {
        FallbackReason[] reasons = FallbackReason.values();
        Backend[] backends = Backend.values();
        boolean same =
                MetalLibrary.reasonCount() == reasons.length + 1
                        && MetalLibrary.backendCount() == backends.length;
        for (int i = 0; same && i < reasons.length; ++i) {
            same = reasons[i].id().equals(MetalLibrary.reasonId(i + 1));
        }
        for (int i = 0; same && i < backends.length; ++i) {
            same = backends[i].id().equals(MetalLibrary.backendId(i));
        }
        if (!same) {
            throw new EngineException(
                    "Metal engine: the native library does not match this engine's classes");
        }
    }

    private static final class State {
        final SdpaMode mode;
        final Backend backend;
        final boolean readsMps;
        final boolean overrideInstalled;
        final String status;

        State(SdpaMode mode, Backend backend, boolean readsMps, boolean overrideInstalled, String status) {
            this.mode = mode;
            this.backend = backend;
            this.readsMps = readsMps;
            this.overrideInstalled = overrideInstalled;
            this.status = status;
        }
    }

    /** Forwards native log lines to SLF4J. */
    private static final class NativeLogger extends MetalLibrary.LogFunction {

        NativeLogger() {}

        @Override
        public void call(int level, String message) {
            switch (level) {
                case 0:
                    logger.debug(message);
                    break;
                case 1:
                    logger.info(message);
                    break;
                case 2:
                    logger.warn(message);
                    break;
                default:
                    logger.error(message);
                    break;
            }
        }
    }
}
