# Kernel command lines for several core sets, vendors and hugepage sizes.
let k = (import ../../lib).kernel; in
[
  {
    name = "two isolated CPUs on a 4-CPU host";
    actual = k.params { isolatedCores = [ 2 3 ]; hostCpuCount = 4; };
    expected = [ "isolcpus=managed_irq,domain,2-3" "nohz_full=2-3" "rcu_nocbs=2-3" "irqaffinity=0-1" ];
  }
  {
    name = "scattered isolated set: irqaffinity is the exact complement";
    actual = k.params { isolatedCores = [ 6 2 3 ]; hostCpuCount = 8; };
    expected = [ "isolcpus=managed_irq,domain,2-3,6" "nohz_full=2-3,6" "rcu_nocbs=2-3,6" "irqaffinity=0-1,4-5,7" ];
  }
  {
    name = "SMT pairs on a 16-CPU host, Intel passthrough, 2 MiB pages";
    actual = k.params {
      isolatedCores = [ 4 5 6 7 12 13 14 15 ];
      hostCpuCount = 16;
      iommu = true;
      cpuVendor = "intel";
      hugepages = { pageSizeKB = 2048; count = 2048; };
    };
    expected = [
      "isolcpus=managed_irq,domain,4-7,12-15" "nohz_full=4-7,12-15" "rcu_nocbs=4-7,12-15" "irqaffinity=0-3,8-11"
      "intel_iommu=on" "iommu=pt"
      "hugepagesz=2M" "hugepages=2048"
    ];
  }
  {
    name = "everything but CPU 0 isolated, AMD passthrough, 1 GiB pages";
    actual = k.params {
      isolatedCores = [ 1 2 3 4 5 6 7 ];
      hostCpuCount = 8;
      iommu = true;
      cpuVendor = "amd";
      hugepages = { pageSizeKB = 1048576; count = 4; };
    };
    expected = [
      "isolcpus=managed_irq,domain,1-7" "nohz_full=1-7" "rcu_nocbs=1-7" "irqaffinity=0"
      "iommu=pt"
      "default_hugepagesz=1G" "hugepagesz=1G" "hugepages=4"
    ];
  }
  {
    name = "isolation off leaves only the hugepages";
    actual = k.params { isolatedCores = [ 2 3 ]; hostCpuCount = 4; isolation = false; hugepages = { pageSizeKB = 2048; count = 1024; }; };
    expected = [ "hugepagesz=2M" "hugepages=1024" ];
  }
  {
    name = "AMD never gets amd_iommu=on";
    actual = builtins.filter (p: builtins.match "amd_iommu.*" p != null) (k.iommuParams "amd");
    expected = [ ];
  }
  {
    name = "an unknown vendor is refused";
    actual = (builtins.tryEval (k.iommuParams "via")).success;
    expected = false;
  }
  {
    name = "hugepages needed for memoryMB round up";
    actual = map k.hugepagesFor [
      { memoryMB = 4096; pageSizeKB = 2048; }
      { memoryMB = 4097; pageSizeKB = 2048; }
      { memoryMB = 8192; pageSizeKB = 1048576; }
      { memoryMB = 1500; pageSizeKB = 1048576; }
    ];
    expected = [ 2048 2049 8 2 ];
  }
]
