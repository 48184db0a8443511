package io.courier.gateway;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The address of the client a request came from: the TCP peer, or, when the peer is one of {@code
 * gateway.rateLimit.trustedProxies} (an ingress controller, a load balancer), the rightmost address
 * of {@code X-Forwarded-For} that is not itself a trusted proxy. A header from an untrusted peer is
 * ignored, so a client cannot pick the address it is limited as.
 */
final class ClientAddress {

  static final String FORWARDED_FOR = "X-Forwarded-For";

  /** IP literals only (digits, hex, dots, colons): nothing here ever asks DNS. */
  private static final Pattern LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

  private final List<Range> trusted;

  private record Range(BigInteger first, int bits, int prefix) {
    boolean contains(InetAddress address) {
      byte[] raw = address.getAddress();
      if (raw.length * 8 != bits) {
        return false;
      }
      int shift = bits - prefix;
      return new BigInteger(1, raw).shiftRight(shift).equals(first.shiftRight(shift));
    }
  }

  /**
   * @param trustedProxies IP addresses and CIDR ranges, e.g. {@code 10.0.0.0/8}, {@code ::1}
   * @throws IllegalArgumentException naming the first entry that is neither
   */
  ClientAddress(List<String> trustedProxies) {
    List<Range> ranges = new ArrayList<>();
    for (String entry : trustedProxies) {
      ranges.add(range(entry));
    }
    this.trusted = List.copyOf(ranges);
  }

  /** The problem with {@code entry} as a trusted proxy, or null when it is an address or range. */
  static String problem(String entry) {
    try {
      range(entry);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  /** The client's address, as text; {@code unknown} when the peer's is not known. */
  String of(HttpServerRequest request) {
    SocketAddress remote = request.remoteAddress();
    return of(
        remote == null ? null : remote.hostAddress(), request.headers().getAll(FORWARDED_FOR));
  }

  /**
   * The client's address given the TCP peer's ({@code null} when unknown) and the request's {@code
   * X-Forwarded-For} headers, in order.
   */
  String of(String peer, List<String> forwarded) {
    if (peer == null) {
      return "unknown";
    }
    if (trusted.isEmpty() || !isTrusted(peer)) {
      return peer;
    }
    String client = peer;
    for (int h = forwarded.size() - 1; h >= 0; h--) {
      String[] hops = forwarded.get(h).split(",");
      for (int i = hops.length - 1; i >= 0; i--) {
        String hop = hops[i].trim();
        InetAddress address = literal(hop);
        if (address == null) {
          return client; // not an address: stop at the last hop that was one
        }
        client = address.getHostAddress();
        if (!isTrusted(address)) {
          return client;
        }
      }
    }
    return client;
  }

  private boolean isTrusted(String address) {
    InetAddress parsed = literal(address);
    return parsed != null && isTrusted(parsed);
  }

  private boolean isTrusted(InetAddress address) {
    for (Range range : trusted) {
      if (range.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static Range range(String entry) {
    String text = entry == null ? "" : entry.trim();
    int slash = text.indexOf('/');
    String host = slash < 0 ? text : text.substring(0, slash);
    InetAddress address = literal(host);
    if (address == null) {
      throw new IllegalArgumentException(
          "'" + entry + "' is not an IP address or a CIDR range such as 10.0.0.0/8");
    }
    int bits = address.getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException(
            "'" + entry + "' has a prefix length outside 0.." + bits);
      }
    }
    return new Range(new BigInteger(1, address.getAddress()), bits, prefix);
  }

  private static InetAddress literal(String text) {
    if (text.isEmpty()
        || !LITERAL.matcher(text).matches()
        || text.indexOf('.') < 0 && text.indexOf(':') < 0) {
      return null;
    }
    try {
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
