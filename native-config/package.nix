# The Java project (audio-bridge and vm-control) built with nixpkgs' Maven builder, wrapped
# with a headless JRE and the launchers the NixOS modules and operators use.
#
# mvnHash is the fixed-output hash of the Maven dependency set. It cannot be computed without
# a build, so it starts as lib.fakeHash; the first `nix build` fails and prints the real one
# ("got: sha256-…"): put it here, or pass it with `.override { mvnHash = "sha256-…"; }`.
{ lib
, maven
, jre_headless
, makeWrapper
, mvnHash ? lib.fakeHash
}:
let
  # The JVM flag every launcher needs: Agrona reaches jdk.internal.misc.Unsafe.
  jvmFlags = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";
  # The bridge's, as in the repository's bin/netjack-bridge: a fixed, pre-touched heap and no
  # periodic cleanup safepoints keep the JVM out of the real-time threads' way
  # (docs/realtime-jvm.md §6).
  bridgeJvmFlags = lib.concatStringsSep " " [
    "-Xms96m" "-Xmx96m" "-XX:+AlwaysPreTouch" "-XX:+UseSerialGC"
    "-XX:+UnlockDiagnosticVMOptions" "-XX:GuaranteedSafepointInterval=0" "-XX:+PerfDisableSharedMem"
    "-XX:ReservedCodeCacheSize=64m" "-XX:CompressedClassSpaceSize=64m" "-Xss512k"
  ];

  bridgeMain = "org.oligarchy.vmm.bridge.cli.BridgeMain";
  vmctlMain = "org.oligarchy.vmm.control.cli.VmctlCommand";

  # launcher = { module whose jar and lib/ form the class path; JVM flags; main class;
  # leading arguments }. The subcommands are netjack-bridge's (status, restart) and vmctl's
  # (console).
  launchers = {
    netjack-bridge = { module = "audio-bridge"; jvm = bridgeJvmFlags; main = bridgeMain; args = ""; };
    dsp-status = { module = "audio-bridge"; jvm = ""; main = bridgeMain; args = "status"; };
    dsp-netjack-restart = { module = "audio-bridge"; jvm = ""; main = bridgeMain; args = "restart"; };
    vmctl = { module = "vm-control"; jvm = ""; main = vmctlMain; args = ""; };
    dsp-console = { module = "vm-control"; jvm = ""; main = vmctlMain; args = "console"; };
  };

  share = "share/oligarchy-vmm";
in
maven.buildMavenPackage {
  pname = "oligarchy-vmm";
  version = "0.1.0";

  # The repository root (this file lives in native-config/); build output is left out.
  src = lib.cleanSourceWith {
    src = ../.;
    filter = path: type: !(type == "directory" && baseNameOf path == "target");
  };

  inherit mvnHash;
  # Tests need real jackd, QEMU and network namespaces, which the build sandbox has not;
  # ./test.sh runs them. bench/ is not shipped.
  mvnParameters = "-DskipTests -pl audio-bridge,vm-control -am";
  doCheck = false;

  nativeBuildInputs = [ makeWrapper ];

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
        --add-flags "${jvmFlags} ${l.jvm} ${l.main} ${l.args}"
    '')
    launchers) + ''

    runHook postInstall
  '';

  meta = {
    description = "Real-time NetJack2 audio bridge and VM control plane for a DSP coprocessor VM";
    mainProgram = "vmctl";
    platforms = lib.platforms.linux;
  };
}
