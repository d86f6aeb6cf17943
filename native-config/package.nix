# The Java project (audio-bridge and vm-control), built by Maven offline against a local
# repository made of fixed-output downloads, wrapped with a headless JRE and the launchers the
# NixOS modules and operators use.
#
# No placeholder hash: maven/deps.json locks every file the build resolves (group, artifact,
# version, classifier, type, sha256), written by maven/lock.sh from Maven's own resolution;
# lib/maven-repo.nix turns it into a repository of `fetchurl`s, each checked against its
# sha256 by Nix. maven/verify-lock.sh (run by ./test.sh) proves the lock complete: a
# repository assembled from the lock's files alone builds the project with `mvn -o`. When a
# dependency changes, run maven/lock.sh and commit deps.json.
{ lib
, stdenv
, fetchurl
, linkFarm
, maven
, jre_headless
, makeWrapper
}:
let
  vmlib = import ./lib;
  lock = builtins.fromJSON (builtins.readFile ./maven/deps.json);

  # The Maven repository: one fixed-output derivation per locked file, at its Maven path.
  repository = linkFarm "oligarchy-vmm-maven-repository" (map
    (entry: { name = entry.path; path = fetchurl { inherit (entry) url sha256; }; })
    (vmlib.mavenRepo.entries lock));

  # The goals and modules, shared with lock.sh and verify-lock.sh.
  buildArgs = lib.removeSuffix "\n" (builtins.readFile ./maven/build-args);

  # The JVM flags every launcher needs: Agrona reaches jdk.internal.misc.Unsafe; the bridge's JACK
  # thread waits on the session socket's descriptor, read through sun.nio.ch (engine/SocketFds.java).
  jvmFlags = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED";
  # The bridge's, as in the repository's bin/netjack-bridge: a fixed heap (not pre-touched: the
  # pages start-up never touches are never touched) and no periodic cleanup safepoints keep the
  # JVM out of the real-time threads' way, as does no perf-data sampler (-UsePerfData: it woke a
  # VM thread 20 times a second, bench/README.md); the native-heap trim returns the JIT's freed arenas
  # (docs/realtime-jvm.md §6; the flag is experimental in JDK 17.0.9–17.0.10, hence the unlock,
  # a no-op from 17.0.11 where it is a product flag). The heap is 24 MiB unless NETJACK_BRIDGE_HEAP says otherwise when
  # the wrapper runs: the "\$" reaches makeWrapper's --add-flags, which expands it at run time.
  bridgeJvmFlags = lib.concatStringsSep " " [
    "-Xms\\\${NETJACK_BRIDGE_HEAP:-24m}" "-Xmx\\\${NETJACK_BRIDGE_HEAP:-24m}" "-XX:+UnlockExperimentalVMOptions" "-XX:TrimNativeHeapInterval=5000" "-XX:+UseSerialGC"
    "-XX:+UnlockDiagnosticVMOptions" "-XX:GuaranteedSafepointInterval=0" "-XX:+PerfDisableSharedMem" "-XX:-UsePerfData"
    "-XX:ReservedCodeCacheSize=64m" "-XX:CompressedClassSpaceSize=64m" "-Xss512k"
  ];

  bridgeMain = "org.oligarchy.vmm.bridge.cli.BridgeMain";
  vmctlMain = "org.oligarchy.vmm.control.cli.VmctlCommand";

  # launcher = { module whose jar and lib/ form the class path; JVM flags; main class }, as
  # the repository's bin/ launchers run them.
  launchers = {
    netjack-bridge = { module = "audio-bridge"; jvm = bridgeJvmFlags; main = bridgeMain; };
    vmctl = { module = "vm-control"; jvm = ""; main = vmctlMain; };
    dsp-console = { module = "vm-control"; jvm = ""; main = "org.oligarchy.vmm.control.cli.DspConsoleMain"; };
  };
  # The repository's bin/ scripts that only call the launchers beside them (dsp-status asks
  # both netjack-bridge and vmctl; dsp-netjack-restart is `netjack-bridge restart`).
  scripts = [ "dsp-status" "dsp-netjack-restart" ];

  share = "share/oligarchy-vmm";
in
stdenv.mkDerivation {
  pname = "oligarchy-vmm";
  version = "0.1.0";

  # The repository root (this file lives in native-config/); build output is left out.
  src = lib.cleanSourceWith {
    src = ../.;
    filter = path: type: !(type == "directory" && baseNameOf path == "target");
  };

  nativeBuildInputs = [ maven makeWrapper ];

  passthru = { inherit repository lock; };

  # Tests need real jackd, QEMU and network namespaces, which the build sandbox has not;
  # ./test.sh runs them. bench/ is not shipped.
  buildPhase = ''
    runHook preBuild
    # Maven writes its bookkeeping into the local repository: give it a writable copy.
    cp -rL ${repository} "$TMPDIR/m2"
    chmod -R u+w "$TMPDIR/m2"
    mvn -B -ntp -o -Dmaven.repo.local="$TMPDIR/m2" ${buildArgs}
    runHook postBuild
  '';

  installPhase = ''
    runHook preInstall

    for module in audio-bridge vm-control; do
      mkdir -p $out/${share}/$module/lib
      install -m 0644 $module/target/$module.jar $out/${share}/$module/
      install -m 0644 $module/target/lib/*.jar $out/${share}/$module/lib/
    done

    mkdir -p $out/bin
  '' + lib.concatStrings (lib.mapAttrsToList
    (name: l: ''
      # CLASSPATH goes through --set, which quotes it: the lib/* wildcard must reach java
      # unexpanded.
      makeWrapper ${jre_headless}/bin/java $out/bin/${name} \
        --set CLASSPATH "$out/${share}/${l.module}/${l.module}.jar:$out/${share}/${l.module}/lib/*" \
        --add-flags "${jvmFlags} ${l.jvm} ${l.main}"
    '')
    launchers) + lib.concatMapStrings (name: ''
      install -m 0755 bin/${name} $out/bin/${name}
    '') scripts + ''

    runHook postInstall
  '';

  meta = {
    description = "Real-time NetJack2 audio bridge and VM control plane for a DSP coprocessor VM";
    mainProgram = "vmctl";
    platforms = lib.platforms.linux;
  };
}
