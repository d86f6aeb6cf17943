package org.oligarchy.vmm.control.qemu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.SysfsCpuTopology;
import org.oligarchy.vmm.control.host.ThreadScheduler;
import org.oligarchy.vmm.control.model.CpuTopology;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * When the kernel refuses SCHED_FIFO (no CAP_SYS_NICE, RLIMIT_RTPRIO 0), pinning still happens,
 * the vCPU stays SCHED_OTHER, a clear warning is printed and the VM still resumes.
 */
class FifoRefusedRealQemuTest
{
    @TempDir
    Path tempDir;

    @Test
    @Timeout(60)
    void shouldWarnAndContinueWhenFifoIsNotPermitted() throws Exception
    {
        final ProcFs fs = ProcFs.host();
        final CpuTopology topology = SysfsCpuTopology.read(fs);
        assumeTrue(topology.onlineCpus().size() >= 2, "needs two CPUs");
        assumeTrue("0".equals(fs.read("/proc/self/limits").orElse("").lines()
            .filter((l) -> l.startsWith("Max realtime priority")).map((l) -> l.split("\\s+")[3]).findFirst()
            .orElse("?")), "needs RLIMIT_RTPRIO 0 so that dropping CAP_SYS_NICE makes FIFO fail");
        final int isolatedCpu = topology.onlineCpus().get(1);
        final VmRuntimePaths paths = new VmRuntimePaths(tempDir.resolve("run"));
        final List<String> argv = new ArrayList<>(List.of(QemuCommandLine.QEMU_BINARY));
        QemuCommandLine.commonArguments(argv, "fifo-refused", paths);
        argv.addAll(List.of("-machine", "pc,accel=tcg", "-m", "64M"));
        final RunningVm vm = QemuLauncher.start(argv, paths, List.of(topology.onlineCpus().get(0)), 30_000, fs);
        try
        {
            final ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
            final PrintStream log = new PrintStream(logBytes, true, StandardCharsets.UTF_8);

            final List<VcpuPlacement> placements = CompletableFuture.supplyAsync(() ->
            {
                ThreadCapabilities.dropEffective(ThreadCapabilities.CAP_SYS_NICE);
                try
                {
                    return vm.pinVcpus(List.of(isolatedCpu), List.of(topology.onlineCpus().get(0)), 1, log);
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            }, (r) -> new Thread(r, "no-cap-sys-nice").start()).get();

            final VcpuPlacement placement = placements.get(0);
            final int tid = placement.vcpu().threadId();
            assertEquals(ThreadScheduler.EPERM, placement.fifoErrno());
            assertEquals(0, placement.fifoPriority());
            assertEquals(List.of(isolatedCpu), fs.cpusAllowed(vm.process().pid(), tid).orElseThrow());
            assertEquals(ThreadScheduler.SCHED_OTHER, fs.schedPolicy(vm.process().pid(), tid).orElseThrow()[0]);
            assertEquals("WARNING: SCHED_FIFO 1 refused for vCPU 0 (TID " + tid + ", errno 1 EPERM); it runs " +
                "SCHED_OTHER on CPU " + isolatedCpu + ". Fix: give the service CAP_SYS_NICE or LimitRTPRIO=1, and " +
                "check kernel.sched_rt_runtime_us.\n", logBytes.toString(StandardCharsets.UTF_8));

            vm.resume(10_000);
            assertEquals("running", vm.status());
        }
        finally
        {
            vm.close();
        }
    }
}
