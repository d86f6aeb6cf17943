# Kernel command line for a host that runs the DSP VM on isolated CPUs. Pure (builtins only)
# so the tests can check the exact parameters for any core set.
let
  cpus = import ./cpus.nix;
  inherit (builtins) toString;

  optionals = cond: list: if cond then list else [ ];
in
rec {
  # Why each parameter is there (docs/vm-tuning.md §1.9 #1, #19; §3.1, §3.2, §6.2):
  # - isolcpus keeps the scheduler's load balancing and unbound kernel work off the vCPU
  #   cores; `managed_irq` also keeps managed device interrupts away (tuned's RT profile).
  # - nohz_full and rcu_nocbs stop the tick and RCU callbacks there.
  # - irqaffinity is the complement of the isolated set, computed, never a fixed range
  #   (the original hard-coded "1-7", which sent interrupts to an isolated core).
  #   With hostCpuCount = null (unknown when the configuration is built) irqaffinity is left
  #   out: managed interrupts still stay off the isolated CPUs (isolcpus=managed_irq), other
  #   device interrupts may land on them.
  isolationParams = { isolatedCores, hostCpuCount }:
    let
      isolated = cpus.format isolatedCores;
      housekeeping = cpus.format (cpus.complement hostCpuCount isolatedCores);
    in
    [
      "isolcpus=managed_irq,domain,${isolated}"
      "nohz_full=${isolated}"
      "rcu_nocbs=${isolated}"
    ] ++ optionals (hostCpuCount != null) [ "irqaffinity=${housekeeping}" ];

  # VFIO needs the IOMMU. Intel's is off unless asked for; AMD's is on by default and has
  # no documented "amd_iommu=on" value (the original passed it anyway and never enabled
  # Intel's). iommu=pt keeps host devices that are not passed through on identity mapping.
  iommuParams = cpuVendor:
    if cpuVendor == "intel" then [ "intel_iommu=on" "iommu=pt" ]
    else if cpuVendor == "amd" then [ "iommu=pt" ]
    else throw "kernel.iommuParams: cpuVendor must be \"amd\" or \"intel\", got ${builtins.toJSON cpuVendor}";

  # Hugepages reserved at boot, before memory fragments (the original wrote vm.nr_hugepages
  # at VM start and never read it back). 1 GiB pages can in practice only be had at boot,
  # and become the default size so /dev/hugepages serves them.
  hugepageParams = { pageSizeKB, count }:
    if pageSizeKB == 2048 then [ "hugepagesz=2M" "hugepages=${toString count}" ]
    else if pageSizeKB == 1048576 then [ "default_hugepagesz=1G" "hugepagesz=1G" "hugepages=${toString count}" ]
    else throw "kernel.hugepageParams: pageSizeKB must be 2048 or 1048576, got ${toString pageSizeKB}";

  # Pages needed to hold memoryMB, rounded up.
  hugepagesFor = { memoryMB, pageSizeKB }:
    let kb = memoryMB * 1024; in
    kb / pageSizeKB + (if kb - (kb / pageSizeKB) * pageSizeKB == 0 then 0 else 1);

  # Everything the DSP host module adds to boot.kernelParams.
  #   isolation: whether to isolate at all (needs a reboot to change)
  #   iommu:     whether PCI devices are passed through
  #   hugepages: null, or { pageSizeKB; count; }
  params = { isolatedCores, hostCpuCount, isolation ? true, iommu ? false, cpuVendor ? null, hugepages ? null }:
    optionals isolation (isolationParams { inherit isolatedCores hostCpuCount; })
    ++ optionals iommu (iommuParams cpuVendor)
    ++ optionals (hugepages != null) (hugepageParams hugepages);
}
