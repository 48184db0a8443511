package io.courier.kafka.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports on 127.0.0.1 for servers that are started later (brokers, Hazelcast members, child
 * processes).
 *
 * <p>A port taken with {@code new ServerSocket(0)} comes from the kernel's ephemeral range, the
 * same range every outgoing connection draws its local port from. Between picking such a port and
 * binding it, a client socket of the same or another process can take it (CI saw Hazelcast fail
 * with "Port [44001] is already in use"). Ports handed out here lie below the ephemeral range, so
 * no outgoing connection can take them, and one JVM never hands out the same port twice.
 */
public final class LoopbackPorts {

  private static final int LOWEST = 20_000;
  private static final int FALLBACK_EPHEMERAL_LOW = 32_768;
  private static final int ATTEMPTS = 200;
  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private LoopbackPorts() {}

  /**
   * A port that was free on 127.0.0.1 a moment ago, below the ephemeral range, not handed out
   * before by this JVM.
   */
  public static int free() {
    int below = ephemeralLow();
    if (below - LOWEST < 1_000) {
      return kernelChosen();
    }
    for (int i = 0; i < ATTEMPTS; i++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, below);
      if (HANDED_OUT.add(port)) {
        if (bindable(port)) {
          return port;
        }
      }
    }
    return kernelChosen();
  }

  private static int ephemeralLow() {
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    try {
      if (Files.isReadable(range)) {
        // Not Files.readString: on procfs (size 0) it returned a truncated "3" here.
        String[] bounds = Files.readAllLines(range).get(0).trim().split("\\s+");
        return Integer.parseInt(bounds[0]);
      }
    } catch (IOException | RuntimeException e) {
      // fall through to the Linux default
    }
    return FALLBACK_EPHEMERAL_LOW;
  }

  private static boolean bindable(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int kernelChosen() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      HANDED_OUT.add(socket.getLocalPort());
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }
}
