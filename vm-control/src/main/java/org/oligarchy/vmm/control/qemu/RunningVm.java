package org.oligarchy.vmm.control.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import org.oligarchy.vmm.control.host.ProcFs;
import org.oligarchy.vmm.control.host.ThreadScheduler;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A started QEMU process and the QMP session that supervises it: pins vCPUs, resumes the guest
 * and stops it gracefully ({@code system_powerdown}, pressed again every 5 s → SHUTDOWN or
 * timeout → {@code quit} → SIGKILL only as a last resort).
 */
public final class RunningVm implements AutoCloseable
{
    /** Time allowed for a single QMP reply. */
    public static final long COMMAND_TIMEOUT_MILLIS = 10_000;
    /** How long a power button press may go unanswered before it is pressed again. */
    static final long POWER_BUTTON_REPEAT_MILLIS = 5_000;

    private final ProcessHandle process;
    private final QmpClient qmp;
    private final VmRuntimePaths paths;
    private final ProcFs fs;

    public RunningVm(final ProcessHandle process, final QmpClient qmp, final VmRuntimePaths paths, final ProcFs fs)
    {
        this.process = process;
        this.qmp = qmp;
        this.paths = paths;
        this.fs = fs;
    }

    public ProcessHandle process()
    {
        return process;
    }

    public QmpClient qmp()
    {
        return qmp;
    }

    public VmRuntimePaths paths()
    {
        return paths;
    }

    /** @return the QMP run state such as {@code prelaunch}, {@code running} or {@code paused}. */
    public String status() throws QmpException
    {
        return qmp.execute("query-status", COMMAND_TIMEOUT_MILLIS).path("status").asText();
    }

    /** @return each vCPU with its host thread id, from {@code query-cpus-fast}. */
    public List<VcpuThread> vcpuThreads() throws QmpException
    {
        final List<VcpuThread> threads = new ArrayList<>();
        for (final JsonNode cpu : qmp.execute("query-cpus-fast", COMMAND_TIMEOUT_MILLIS))
        {
            threads.add(new VcpuThread(cpu.path("cpu-index").asInt(), cpu.path("thread-id").asInt()));
        }
        return threads;
    }

    /**
     * Pin vCPU k to {@code isolatedCpus[k]} alone and give it SCHED_FIFO at {@code fifoPriority};
     * every other QEMU thread (main loop, I/O, RCU, monitor) goes to the housekeeping CPUs at
     * SCHED_OTHER. If the kernel refuses FIFO (no CAP_SYS_NICE, RLIMIT_RTPRIO too low) a warning
     * is printed and the vCPU stays SCHED_OTHER, pinned.
     *
     * @param isolatedCpus     one host CPU per vCPU, in vCPU order.
     * @param housekeepingCpus CPUs for all other threads.
     * @param fifoPriority     1 (libvirt's real-time guidance); never 99.
     * @param log              where warnings go.
     * @return the placement of each vCPU.
     * @throws QemuLaunchException if the vCPU count does not match or an affinity call fails.
     */
    public List<VcpuPlacement> pinVcpus(
        final List<Integer> isolatedCpus,
        final List<Integer> housekeepingCpus,
        final int fifoPriority,
        final PrintStream log) throws QemuLaunchException, QmpException
    {
        final List<VcpuThread> vcpus = vcpuThreads();
        if (vcpus.size() != isolatedCpus.size())
        {
            throw new QemuLaunchException("QEMU reports " + vcpus.size() + " vCPUs but " + isolatedCpus.size() +
                " isolated CPUs are configured");
        }
        final List<VcpuPlacement> placements = new ArrayList<>();
        final Set<Long> vcpuTids = new HashSet<>();
        for (final VcpuThread vcpu : vcpus)
        {
            final int hostCpu = isolatedCpus.get(vcpu.cpuIndex());
            vcpuTids.add((long)vcpu.threadId());
            final int affinityErrno = ThreadScheduler.setAffinity(vcpu.threadId(), List.of(hostCpu));
            if (affinityErrno != 0)
            {
                throw new QemuLaunchException("cannot pin vCPU " + vcpu.cpuIndex() + " (TID " + vcpu.threadId() +
                    ") to CPU " + hostCpu + ": errno " + affinityErrno);
            }
            final int fifoErrno = ThreadScheduler.setScheduler(
                vcpu.threadId(), ThreadScheduler.SCHED_FIFO, fifoPriority);
            if (fifoErrno != 0)
            {
                log.println("WARNING: SCHED_FIFO " + fifoPriority + " refused for vCPU " + vcpu.cpuIndex() +
                    " (TID " + vcpu.threadId() + ", errno " + fifoErrno + (fifoErrno == ThreadScheduler.EPERM ?
                    " EPERM" : "") + "); it runs SCHED_OTHER on CPU " + hostCpu + ". Fix: give the service " +
                    "CAP_SYS_NICE or LimitRTPRIO=" + fifoPriority + ", and check kernel.sched_rt_runtime_us.");
            }
            placements.add(new VcpuPlacement(vcpu, hostCpu, fifoErrno == 0 ? fifoPriority : 0, fifoErrno));
        }
        for (final long tid : fs.threads(process.pid()))
        {
            if (!vcpuTids.contains(tid))
            {
                ThreadScheduler.setAffinity((int)tid, housekeepingCpus);
            }
        }
        return placements;
    }

    /**
     * Send {@code cont} and wait for the RESUME event (which QEMU may send before the reply).
     *
     * @param timeoutMillis time allowed for RESUME.
     * @return the RESUME event.
     * @throws QemuLaunchException if it does not come in time.
     */
    public QmpEvent resume(final long timeoutMillis) throws QemuLaunchException, QmpException, InterruptedException
    {
        qmp.execute("cont", COMMAND_TIMEOUT_MILLIS);
        final QmpEvent resume = qmp.awaitEvent("RESUME", timeoutMillis);
        if (resume == null)
        {
            throw new QemuLaunchException("no RESUME event within " + timeoutMillis + " ms after cont");
        }
        return resume;
    }

    /**
     * Stop gracefully: ACPI power button, wait for SHUTDOWN; on timeout {@code quit}; if QEMU
     * still lives, SIGKILL.
     *
     * @param powerdownTimeoutMillis time the guest gets to power off.
     * @param quitTimeoutMillis      time QEMU gets to exit after SHUTDOWN or {@code quit}.
     * @return how it stopped.
     */
    public StopOutcome stop(final long powerdownTimeoutMillis, final long quitTimeoutMillis)
        throws InterruptedException
    {
        if (!process.isAlive())
        {
            return StopOutcome.ALREADY_STOPPED;
        }
        StopOutcome outcome = StopOutcome.QUIT_AFTER_POWERDOWN_TIMEOUT;
        try
        {
            // The power button is pressed again every few seconds: a guest that was still booting
            // (or whose ACPI listener had not opened its input device yet) loses an early press.
            final long deadline = System.nanoTime() + powerdownTimeoutMillis * 1_000_000L;
            QmpEvent shutdown = null;
            while (shutdown == null)
            {
                final long leftMillis = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMillis <= 0)
                {
                    break;
                }
                qmp.execute("system_powerdown", COMMAND_TIMEOUT_MILLIS);
                shutdown = qmp.awaitEvent("SHUTDOWN", Math.min(leftMillis, POWER_BUTTON_REPEAT_MILLIS));
            }
            if (shutdown != null && shutdown.data().path("guest").asBoolean(false))
            {
                outcome = StopOutcome.GUEST_POWERED_OFF;
                if (waitForExit(quitTimeoutMillis))
                {
                    return outcome;
                }
            }
            quit(quitTimeoutMillis);
        }
        catch (final QmpException ex)
        {
            // The session may close as QEMU exits; whether it did is decided by waiting for exit below.
        }
        if (waitForExit(quitTimeoutMillis))
        {
            return outcome;
        }
        process.destroyForcibly();
        waitForExit(quitTimeoutMillis);
        return StopOutcome.KILLED;
    }

    private void quit(final long timeoutMillis) throws InterruptedException
    {
        try
        {
            qmp.execute("quit", timeoutMillis);
        }
        catch (final QmpException ex)
        {
            // QEMU may close the socket before its reply to quit reaches us.
        }
        qmp.awaitEvent("SHUTDOWN", timeoutMillis);
    }

    /**
     * @param timeoutMillis time allowed.
     * @return true if the process has exited.
     */
    public boolean waitForExit(final long timeoutMillis) throws InterruptedException
    {
        try
        {
            process.onExit().get(timeoutMillis, TimeUnit.MILLISECONDS);
            return true;
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            return !process.isAlive();
        }
        catch (final java.util.concurrent.ExecutionException ex)
        {
            return !process.isAlive();
        }
    }

    /**
     * Close the QMP session and, if QEMU still runs, kill it and remove the sockets and pid file
     * it leaves; for cleanup after failures.
     */
    @Override
    public void close()
    {
        qmp.close();
        if (process.isAlive())
        {
            process.destroyForcibly();
            QemuLauncher.removeRuntimeFiles(process, paths);
        }
    }
}
