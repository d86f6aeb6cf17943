package org.oligarchy.vmm.control.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The QMP client against a real, paused {@code qemu-system-x86_64}: greeting, capabilities
 * negotiation, replies, error replies and events that QEMU sends before the reply they belong to.
 */
@Timeout(60)
class QmpClientRealQemuTest
{
    @TempDir
    Path tempDir;

    RunningVm vm;

    @BeforeEach
    void startQemu() throws Exception
    {
        final VmRuntimePaths paths = new VmRuntimePaths(tempDir.resolve("run"));
        final List<String> argv = new ArrayList<>(List.of(QemuCommandLine.QEMU_BINARY));
        QemuCommandLine.commonArguments(argv, "qmp-test", paths);
        argv.addAll(List.of("-machine", "pc,accel=tcg", "-m", "64M", "-smp", "2"));
        vm = QemuLauncher.start(argv, paths, List.of(0), 30_000, ProcFs.host());
    }

    @AfterEach
    void stopQemu()
    {
        vm.close();
    }

    @Test
    void shouldNegotiateAndAnswerQueries() throws Exception
    {
        final QmpClient qmp = vm.qmp();

        assertEquals(7, qmp.greeting().path("QMP").path("version").path("qemu").path("major").asInt());
        assertEquals("[\"oob\"]", qmp.greeting().path("QMP").path("capabilities").toString());
        assertEquals("prelaunch", vm.status());
        final List<VcpuThread> vcpus = vm.vcpuThreads();
        assertEquals(2, vcpus.size());
        assertEquals(0, vcpus.get(0).cpuIndex());
        assertEquals(1, vcpus.get(1).cpuIndex());
        assertEquals("CPU 1/TCG", ProcFs.host().threadName(vm.process().pid(), vcpus.get(1).threadId()).orElseThrow());
    }

    @Test
    void shouldReportErrorClassAndDescription()
    {
        final QmpException unknown = assertThrows(QmpException.class,
            () -> vm.qmp().execute("no-such-command", 5_000));
        assertEquals("CommandNotFound", unknown.errorClass());
        assertEquals("CommandNotFound: The command no-such-command has not been found", unknown.getMessage());

        final ObjectNode bogus = JsonNodeFactory.instance.objectNode().put("bogus", 1);
        final QmpException badArgument = assertThrows(QmpException.class,
            () -> vm.qmp().execute("query-status", bogus, 5_000));
        assertEquals("GenericError", badArgument.errorClass());
        assertEquals("GenericError: Parameter 'bogus' is unexpected", badArgument.getMessage());
    }

    @Test
    void shouldKeepEventsThatArriveBeforeTheReply() throws Exception
    {
        final JsonNode reply = vm.qmp().execute("cont", 5_000);

        assertEquals("{}", reply.toString());
        final QmpEvent resume = vm.qmp().awaitEvent("RESUME", 5_000);
        assertNotNull(resume);
        assertTrue(resume.timestampMicros() > 0);
        assertEquals("running", vm.status());

        vm.qmp().execute("stop", 5_000);
        assertNotNull(vm.qmp().awaitEvent("STOP", 5_000));
        assertNull(vm.qmp().awaitEvent("RESUME", 100));
    }

    @Test
    void shouldRefuseSecondQemuOnSameRuntimeDirectory()
    {
        final VmRuntimePaths paths = vm.paths();
        final List<String> argv = new ArrayList<>(List.of(QemuCommandLine.QEMU_BINARY));
        QemuCommandLine.commonArguments(argv, "qmp-test", paths);

        final QemuLaunchException ex = assertThrows(QemuLaunchException.class,
            () -> QemuLauncher.start(argv, paths, List.of(0), 5_000, ProcFs.host()));

        assertEquals("a QEMU is already running from " + paths.directory() + " (pid " + vm.process().pid() +
            "); stop it first with vmctl stop", ex.getMessage());
        assertTrue(vm.process().isAlive());
    }

    @Test
    void shouldReportShutdownReasonOnQuit() throws Exception
    {
        try
        {
            vm.qmp().execute("quit", 5_000);
        }
        catch (final QmpException ex)
        {
            // QEMU may close the socket before the reply; the event below is what counts.
        }
        final QmpEvent shutdown = vm.qmp().awaitEvent("SHUTDOWN", 5_000);

        assertNotNull(shutdown);
        assertEquals("{\"guest\":false,\"reason\":\"host-qmp-quit\"}", shutdown.data().toString());
        assertTrue(vm.waitForExit(10_000));
    }
}
