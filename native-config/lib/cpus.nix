# CPU sets as lists of CPU numbers, and their text form in the kernel's and systemd's
# "cpulist" syntax ("2-3,6"). Only builtins: this file is evaluated by the tests without
# nixpkgs.
let
  inherit (builtins) sort lessThan length elemAt elem filter genList foldl' concatStringsSep;

  last = list: elemAt list (length list - 1);
  init = list: genList (i: elemAt list i) (length list - 1);
in
rec {
  # Sorted ascending, each CPU once.
  normalize = cpus:
    foldl' (acc: cpu: if acc != [ ] && last acc == cpu then acc else acc ++ [ cpu ])
      [ ] (sort lessThan cpus);

  hasDuplicates = cpus: length (normalize cpus) != length cpus;

  # Runs of consecutive CPUs: [ 2 3 6 ] -> [ { first = 2; last = 3; } { first = 6; last = 6; } ].
  runs = cpus:
    foldl'
      (acc: cpu:
        if acc != [ ] && (last acc).last + 1 == cpu
        then init acc ++ [ { first = (last acc).first; last = cpu; } ]
        else acc ++ [ { first = cpu; last = cpu; } ])
      [ ] (normalize cpus);

  # The cpulist text that isolcpus=, nohz_full=, rcu_nocbs=, irqaffinity= and systemd's
  # CPUAffinity= all accept. [ 6 2 3 ] -> "2-3,6"; [ ] -> "".
  format = cpus:
    concatStringsSep "," (map
      (run:
        if run.first == run.last then toString run.first
        else "${toString run.first}-${toString run.last}")
      (runs cpus));

  # CPUs 0 .. hostCpuCount-1 that are not in `cpus`.
  complement = hostCpuCount: cpus:
    filter (cpu: !(elem cpu cpus)) (genList (i: i) hostCpuCount);

  intersection = a: b: normalize (filter (cpu: elem cpu b) a);
}
