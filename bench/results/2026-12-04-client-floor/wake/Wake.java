import java.net.*; import java.nio.*; import java.nio.channels.*; import java.nio.file.*; import java.util.concurrent.locks.LockSupport;
public class Wake {
  static long ns(long tid) throws Exception { String s = Files.readString(Path.of("/proc/self/task/" + tid + "/schedstat")); return Long.parseLong(s.split(" ")[0]); }
  public static void main(String[] a) throws Exception {
    boolean recv = a.length > 0 && a[0].equals("recv");
    long park = Long.parseLong(a.length > 1 ? a[1] : "20000000");
    DatagramChannel ch = DatagramChannel.open(); ch.bind(new InetSocketAddress("127.0.0.1", 0)); ch.configureBlocking(false);
    ByteBuffer b = ByteBuffer.allocateDirect(1500);
    long tid = Long.parseLong(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
    for (int i = 0; i < 100; i++) { LockSupport.parkNanos(park); if (recv) { b.clear(); ch.receive(b); } }
    long c0 = ns(tid), t0 = System.nanoTime(); int n = 0;
    while (System.nanoTime() - t0 < 5_000_000_000L) { LockSupport.parkNanos(park); if (recv) { b.clear(); ch.receive(b); } n++; }
    long c1 = ns(tid);
    System.out.printf("%s park %d us: %d wakes, %.1f us CPU per wake%n", recv ? "recv" : "noop", park / 1000, n, (c1 - c0) / 1000.0 / n);
  }
}
