# The package expression, called through the flake as `nix build` would (tests/nixos.nix,
# stub builders that return their arguments): no placeholder hash, a Maven repository made
# of one fixed-output download per locked file, an offline build, and the five commands.
let
  nixos = import ../nixos.nix;
  inherit (nixos) lib;
  package = nixos.flake.packages.x86_64-linux.default;
  lock = builtins.fromJSON (builtins.readFile ../../maven/deps.json);
  repository = package.args.passthru.repository;
  build = package.args.buildPhase;
  install = package.args.installPhase;
  has = text: needle: lib.hasInfix needle text;
in
[
  {
    name = "package: no placeholder hash anywhere in the expression";
    actual = has (builtins.readFile ../../package.nix) "fakeHash" || has (builtins.readFile ../../package.nix) "mvnHash ?";
    expected = false;
  }
  {
    name = "package: the Maven repository has one sha256-pinned download per locked file, at its Maven path";
    actual = {
      count = builtins.length repository.entries;
      paths = map (e: e.name) repository.entries == map (a: (import ../../lib).mavenRepo.pathOf a) lock.artifacts;
      pinned = builtins.all (e: builtins.stringLength e.path.args.sha256 == 64
        && e.path.args.url == "https://repo.maven.apache.org/maven2/${e.name}") repository.entries;
      hashes = map (e: e.path.args.sha256) repository.entries == map (a: a.sha256) lock.artifacts;
    };
    expected = { count = builtins.length lock.artifacts; paths = true; pinned = true; hashes = true; };
  }
  {
    name = "package: maven-repo.nix lays out a classified jar as Maven does";
    actual = (import ../../lib).mavenRepo.pathOf { group = "org.openjdk.jmh"; artifact = "jmh-core"; version = "1.37"; classifier = "sources"; type = "jar"; };
    expected = "org/openjdk/jmh/jmh-core/1.37/jmh-core-1.37-sources.jar";
  }
  {
    name = "package: the lock holds jars and POMs of the build's plugins and libraries";
    actual = map (coordinate: builtins.any (a: "${a.group}:${a.artifact}:${a.type}" == coordinate) lock.artifacts) [
      "org.apache.maven.plugins:maven-compiler-plugin:jar"
      "org.apache.maven.plugins:maven-dependency-plugin:jar"
      "org.agrona:agrona:jar"
      "com.fasterxml.jackson.core:jackson-databind:jar"
      "info.picocli:picocli:jar"
    ];
    expected = [ true true true true true ];
  }
  {
    name = "package: Maven runs offline against a copy of that repository, with maven/build-args";
    actual = map (has build) [ "cp -rL ${repository}" "mvn -B -ntp -o -Dmaven.repo.local=\"$TMPDIR/m2\" -DskipTests -pl audio-bridge,vm-control -am package" ];
    expected = [ true true ];
  }
  {
    name = "package: installs netjack-bridge, vmctl, dsp-status, dsp-console and dsp-netjack-restart with the launchers' JVM flags";
    actual = map (has install) [
      "$out/bin/netjack-bridge"
      "--add-flags \"--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED -Xms\\\${NETJACK_BRIDGE_HEAP:-24m} -Xmx\\\${NETJACK_BRIDGE_HEAP:-24m} -XX:+UnlockExperimentalVMOptions -XX:TrimNativeHeapInterval=5000 -XX:+UseSerialGC -XX:+UnlockDiagnosticVMOptions -XX:GuaranteedSafepointInterval=0 -XX:+PerfDisableSharedMem -XX:-UsePerfData -XX:ReservedCodeCacheSize=64m -XX:CompressedClassSpaceSize=64m -Xss512k org.oligarchy.vmm.bridge.cli.BridgeMain\""
      "$out/bin/vmctl"
      "org.oligarchy.vmm.control.cli.VmctlCommand\""
      "$out/bin/dsp-console"
      "org.oligarchy.vmm.control.cli.DspConsoleMain\""
      "install -m 0755 bin/dsp-status $out/bin/dsp-status"
      "install -m 0755 bin/dsp-netjack-restart $out/bin/dsp-netjack-restart"
    ];
    expected = [ true true true true true true true true ];
  }
  {
    name = "package: the bridge's JVM flags are those of bin/netjack-bridge";
    actual = builtins.all (flag: has (builtins.readFile ../../../bin/netjack-bridge) flag) [
      "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED" "--add-exports java.base/sun.nio.ch=ALL-UNNAMED" "-XX:+UnlockExperimentalVMOptions" "-XX:TrimNativeHeapInterval=5000" "-XX:+UseSerialGC"
      "-XX:+UnlockDiagnosticVMOptions" "-XX:GuaranteedSafepointInterval=0" "-XX:+PerfDisableSharedMem" "-XX:-UsePerfData"
      "-XX:ReservedCodeCacheSize=64m" "-XX:CompressedClassSpaceSize=64m" "-Xss512k" "-Xms\${NETJACK_BRIDGE_HEAP:-24m}"
    ];
    expected = true;
  }
]
