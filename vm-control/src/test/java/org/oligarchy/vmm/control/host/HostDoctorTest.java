package org.oligarchy.vmm.control.host;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.oligarchy.vmm.control.model.ConfigParser;
import org.oligarchy.vmm.control.model.DspVmConfig;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The doctor on fixture trees shaped like a tuned 8-thread SMT laptop and like an untuned host.
 */
class HostDoctorTest
{
    static final String LIMITS_HEADER =
        "Limit                     Soft Limit           Hard Limit           Units     \n";

    @TempDir
    Path root;

    static DspVmConfig vm(final String isolated) throws Exception
    {
        return ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": " + isolated + ", " +
            "\"memoryMB\": 2048, \"hugepages\": { \"count\": 1024 }, \"network\": { \"type\": \"tap\", " +
            "\"tap\": \"dsp0\" }, \"audioDevice\": { \"pci\": [\"0000:00:1f.3\"] } } }").dsp();
    }

    /** CPUs 0-7, SMT siblings n and n+4. */
    SysfsFixture smtHost(final String isolated)
    {
        final SysfsFixture f = new SysfsFixture(root)
            .file("/sys/devices/system/cpu/online", "0-7")
            .file("/sys/devices/system/cpu/isolated", isolated)
            .file("/sys/devices/system/cpu/smt/control", "on");
        for (int cpu = 0; cpu < 8; cpu++)
        {
            f.file("/sys/devices/system/cpu/cpu" + cpu + "/topology/thread_siblings_list",
                (cpu % 4) + "," + (cpu % 4 + 4));
        }
        return f;
    }

    @Test
    void shouldPassTunedHost() throws Exception
    {
        final SysfsFixture f = smtHost("2-3,6-7")
            .file("/dev/kvm", "")
            .dir("/sys/module/kvm")
            .dir("/sys/module/kvm_amd")
            .file("/sys/devices/system/cpu/nohz_full", "2-3,6-7")
            .file("/proc/cmdline", "BOOT_IMAGE=/bzImage isolcpus=2-3,6-7 nohz_full=2-3,6-7 rcu_nocbs=2-3,6-7 " +
                "irqaffinity=0-1,4-5 threadirqs")
            .file("/proc/irq/default_smp_affinity", "33")
            .file("/proc/irq/24/smp_affinity_list", "0-1,4-5")
            .file("/proc/irq/24/effective_affinity_list", "1")
            .file("/proc/sys/kernel/sched_rt_runtime_us", "950000")
            .file("/proc/sys/kernel/sched_rt_period_us", "1000000")
            .file("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "1024")
            .file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "1024")
            .file("/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", "0")
            .file("/proc/mounts", "hugetlbfs /dev/hugepages hugetlbfs rw,relatime,pagesize=2M 0 0")
            .file("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never")
            .file("/sys/kernel/mm/ksm/run", "0")
            .pciDevice("0000:00:1f.3", 14, "0x040300", "snd_hda_intel")
            .file("/dev/vfio/vfio", "")
            .file("/proc/self/limits", LIMITS_HEADER +
                "Max locked memory         unlimited            unlimited            bytes     \n" +
                "Max realtime priority     1                    1                    ")
            .file("/proc/self/status", "Name:\tjava\nCapEff:\t0000000000000000")
            .file("/sys/devices/virtual/workqueue/cpumask", "33")
            .file("/proc/sys/kernel/timer_migration", "0")
            .file("/dev/net/tun", "")
            .file("/dev/vhost-net", "")
            .file("/sys/class/net/dsp0/tun_flags", "0x1002")
            .file("/proc/meminfo", "MemTotal:       33554432 kB\nMemFree:        30000000 kB\n" +
                "MemAvailable:   31457280 kB\n");
        for (final int cpu : List.of(2, 3, 6, 7))
        {
            f.file("/sys/devices/system/cpu/cpu" + cpu + "/cpufreq/scaling_governor", "performance");
        }

        final List<CheckResult> results = new HostDoctor(f.fs()).run(vm("[2, 3, 6, 7]"));

        assertEquals(List.of(
            "PASS kvm: /dev/kvm present; modules: kvm, kvm_amd",
            "PASS isolcpus: /sys/devices/system/cpu/isolated = \"2-3,6-7\", covers dsp.isolatedCores",
            "PASS nohz_full: /sys/devices/system/cpu/nohz_full = \"2-3,6-7\"",
            "PASS rcu_nocbs: /proc/cmdline rcu_nocbs=2-3,6-7",
            "PASS housekeeping: online 0-7, isolated 2-3,6-7, housekeeping 0-1,4-5",
            "PASS smt: smt/control = on, isolated CPUs are whole cores",
            "PASS irqaffinity: /proc/irq/default_smp_affinity = 33 (CPUs 0-1,4-5)",
            "PASS irqs: 0 of 1 IRQs may run on isolated CPUs",
            "PASS preempt: not a PREEMPT_RT kernel, threadirqs",
            "PASS rt-throttling: sched_rt_runtime_us = 950000 of sched_rt_period_us = 1000000 (vCPUs run at FIFO " +
                "1, so throttling only limits a runaway guest)",
            "PASS hugepages: 2048 kB pages: total 1024, free 1024, reserved 0; the VM needs 1024",
            "PASS hugetlbfs: mounted: /dev/hugepages",
            "PASS thp: transparent_hugepage/enabled = always [madvise] never",
            "PASS ksm: ksm/run = 0",
            "PASS iommu: 1 IOMMU groups in /sys/kernel/iommu_groups",
            "PASS vfio 0000:00:1f.3: group 14: 0000:00:1f.3 (snd_hda_intel) (vmctl start binds it through " +
                "driver_override)",
            "PASS memory: dsp.memoryMB = 2048 from hugepages (0 to add = 0 MiB) + 256 MiB for QEMU = 256 MiB; " +
                "MemAvailable 30720 MiB of MemTotal 32768 MiB",
            "PASS memlock: Max locked memory = unlimited",
            "PASS rtprio: Max realtime priority = 1",
            "PASS governor: cpu2 performance, cpu3 performance, cpu6 performance, cpu7 performance",
            "PASS workqueues: workqueue/cpumask = 33 (CPUs 0-1,4-5)",
            "PASS timer_migration: kernel.timer_migration = 0",
            "PASS tap: /dev/net/tun present, /dev/vhost-net present"), lines(results));
        assertEquals(0, HostDoctor.exitCode(results));
    }

    @Test
    void shouldWarnAndFailOnUntunedHost() throws Exception
    {
        final SysfsFixture f = smtHost("")
            .file("/dev/kvm", "")
            .dir("/sys/module/kvm")
            .dir("/sys/module/kvm_pvm")
            .file("/proc/cmdline", "console=ttyS0 quiet")
            .file("/proc/irq/default_smp_affinity", "ff")
            .file("/proc/irq/24/smp_affinity_list", "0-7")
            .file("/proc/irq/25/smp_affinity_list", "0")
            .file("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0")
            .file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "0")
            .file("/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", "0")
            .file("/proc/mounts", "proc /proc proc rw 0 0")
            .file("/sys/kernel/mm/transparent_hugepage/enabled", "[always] madvise never")
            .file("/sys/kernel/mm/ksm/run", "1")
            .pciDevice("0000:00:1f.3", 14, "0x040300", "snd_hda_intel")
            .pciDevice("0000:00:1f.4", 14, "0x0c0500", "i801_smbus")
            .file("/proc/self/limits", LIMITS_HEADER +
                "Max locked memory         8388608              8388608              bytes     \n" +
                "Max realtime priority     0                    0                    ")
            .file("/proc/self/status", "Name:\tjava\nCapEff:\t0000000000000000")
            .file("/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "powersave")
            .file("/sys/devices/virtual/workqueue/cpumask", "ff")
            .file("/proc/sys/kernel/timer_migration", "1")
            .file("/proc/meminfo", "MemTotal:        4194304 kB\nMemAvailable:    1048576 kB\n");

        final List<CheckResult> results = new HostDoctor(f.fs()).run(vm("[2, 3]"));

        assertEquals(List.of(
            "WARN kvm: /dev/kvm present; modules: kvm, kvm_pvm -> load kvm_intel or kvm_amd; this /dev/kvm is not " +
                "hardware KVM, so vmctl falls back to TCG",
            "FAIL isolcpus: /sys/devices/system/cpu/isolated = \"\", configured dsp.isolatedCores = 2-3 -> boot with " +
                "isolcpus=2-3 (reboot needed)",
            "WARN nohz_full: /sys/devices/system/cpu/nohz_full missing (kernel without CONFIG_NO_HZ_FULL) -> use a " +
                "kernel with CONFIG_NO_HZ_FULL and boot with nohz_full=2-3",
            "WARN rcu_nocbs: /proc/cmdline rcu_nocbs=(absent) -> boot with rcu_nocbs=2-3",
            "PASS housekeeping: online 0-7, isolated 2-3, housekeeping 0-1,4-7",
            "FAIL smt: smt/control = on, CPUs 6-7 share a core with an isolated CPU -> isolate whole cores (add " +
                "6-7) or turn SMT off (nosmt)",
            "WARN irqaffinity: /proc/irq/default_smp_affinity = ff (CPUs 0-7) -> boot with irqaffinity=0-1,4-7",
            "WARN irqs: 1 of 2 IRQs may run on isolated CPUs (IRQ 24) -> move them with irqaffinity= at boot or " +
                "/proc/irq/N/smp_affinity_list, and stop irqbalance or ban the isolated CPUs in it",
            "WARN preempt: not a PREEMPT_RT kernel, no threadirqs -> use a PREEMPT_RT kernel, or boot with " +
                "threadirqs so IRQ handlers can be prioritised",
            "PASS rt-throttling: sched_rt_runtime_us = unknown of sched_rt_period_us = unknown (vCPUs run at FIFO " +
                "1, so throttling only limits a runaway guest)",
            "WARN hugepages: 2048 kB pages: total 0, free 0, reserved 0; the VM needs 1024 -> reserve them at boot " +
                "with hugepagesz=2M hugepages=1024 (vmctl start tries to add the shortfall at run time, which " +
                "fragmentation can defeat)",
            "PASS hugetlbfs: no hugetlbfs mount (not needed: vmctl backs RAM with memfd hugetlb, which fails loudly)",
            "WARN thp: transparent_hugepage/enabled = [always] madvise never -> set transparent_hugepage=madvise " +
                "(khugepaged compaction causes latency spikes)",
            "WARN ksm: ksm/run = 1 -> echo 2 > /sys/kernel/mm/ksm/run (page merging scans add latency)",
            "PASS iommu: 1 IOMMU groups in /sys/kernel/iommu_groups",
            "FAIL vfio 0000:00:1f.3: group 14: 0000:00:1f.3 (snd_hda_intel), 0000:00:1f.4 (i801_smbus) -> the whole " +
                "group goes to the VM: add 0000:00:1f.4 to dsp.audioDevice.pci or move the device to a slot with " +
                "its own group",
            "FAIL memory: dsp.memoryMB = 2048 from hugepages (1024 to add = 2048 MiB) + 256 MiB for QEMU = 2304 " +
                "MiB; MemAvailable 1024 MiB of MemTotal 4096 MiB -> lower dsp.memoryMB to at most 768, or free " +
                "memory on the host (stop other VMs or services)",
            "FAIL memlock: Max locked memory = 8388608 -> -overcommit mem-lock=on needs 2415919104 bytes: set " +
                "LimitMEMLOCK=infinity on the service or grant CAP_IPC_LOCK",
            "WARN rtprio: Max realtime priority = 0 -> vCPUs will stay SCHED_OTHER: set LimitRTPRIO=1 on the " +
                "service or grant CAP_SYS_NICE",
            "WARN governor: cpu2 powersave -> set the performance governor on the isolated CPUs (cpupower " +
                "frequency-set -g performance)",
            "WARN workqueues: workqueue/cpumask = ff (CPUs 0-7) -> write the housekeeping mask f3 to " +
                "/sys/devices/virtual/workqueue/cpumask",
            "WARN timer_migration: kernel.timer_migration = 1 -> sysctl kernel.timer_migration=0",
            "FAIL tap: /dev/net/tun missing, /dev/vhost-net missing -> load the tun module (modprobe tun)"),
            lines(results));
        assertEquals(2, HostDoctor.exitCode(results));
    }

    @Test
    void shouldWarnWhenUefiFirmwareMeetsMbrImage() throws Exception
    {
        final Path image = org.oligarchy.vmm.control.qemu.BootSectorImage.writeRaw(root.resolve("archibaldos.img"));
        final DspVmConfig vm = ConfigParser.parse("{ \"version\": 1, \"dsp\": { \"isolatedCores\": [1], " +
            "\"memoryMB\": 512, \"firmware\": \"uefi\", \"ovmfCode\": \"/ovmf/OVMF_CODE.fd\", " +
            "\"diskImage\": \"" + image + "\" } }").dsp();

        final CheckResult result = new HostDoctor(new SysfsFixture(root).fs()).firmware(vm);

        assertEquals("WARN firmware: dsp.firmware uefi, image partition table mbr -> an MBR image (such as " +
            "ArchibaldOS's) boots by BIOS: set dsp.firmware to \"bios\"", lines(List.of(result)).get(0));
    }

    static List<String> lines(final List<CheckResult> results)
    {
        return results.stream().map((r) -> r.status() + " " + r.id() + ": " + r.seen() +
            (r.fix().isEmpty() ? "" : " -> " + r.fix())).toList();
    }
}
