package org.oligarchy.vmm.bridge.service;

import java.nio.file.Files;

/**
 * A {@link BridgeService} running on its own thread, as {@code netjack-bridge run} runs it, for
 * tests in this JVM. {@link #close()} does what the SIGTERM hook does ({@code stop()}) and waits
 * for {@code run()} to return; {@link #exitCode()} is then what the process would exit with.
 */
final class RunningService implements AutoCloseable
{
    private final BridgeService service;
    private final Thread runner;
    private volatile int exitCode = -1;

    private RunningService(final BridgeService service)
    {
        this.service = service;
        this.runner = new Thread(() -> exitCode = service.run(), "service-under-test");
    }

    /**
     * Loads the fixture's config and starts the service.
     *
     * @param fixture the service's config and files.
     * @return the running service.
     * @throws Exception if the config cannot be read or is invalid.
     */
    static RunningService start(final ServiceFixture fixture) throws Exception
    {
        final RunningService running = new RunningService(new BridgeService(BridgeConfig.load(fixture.config())));
        running.runner.start();
        return running;
    }

    /**
     * Adds settings to the fixture's bridge section (after {@code "latencyPeriods": 1,}), then
     * starts the service.
     *
     * @param fixture  the service's config and files.
     * @param settings JSON members, e.g. {@code "maxSessions": 2}.
     * @return the running service.
     * @throws Exception if the config cannot be read, written or is invalid.
     */
    static RunningService start(final ServiceFixture fixture, final String settings) throws Exception
    {
        Files.writeString(fixture.config(), Files.readString(fixture.config())
            .replace("\"latencyPeriods\": 1,", "\"latencyPeriods\": 1, " + settings + ","));
        return start(fixture);
    }

    BridgeService service()
    {
        return service;
    }

    /** @return what {@code run()} returned, or −1 while it runs (or if it did not return within 10 s of the stop). */
    int exitCode()
    {
        return exitCode;
    }

    @Override
    public void close() throws InterruptedException
    {
        service.stop();
        runner.join(10_000);
    }
}
