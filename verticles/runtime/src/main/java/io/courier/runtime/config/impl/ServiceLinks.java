package io.courier.runtime.config.impl;

import java.util.regex.Pattern;

/**
 * The variables a kubelet gives every container for every Service of its namespace ("service
 * links", on unless a pod sets {@code enableServiceLinks: false}): for a Service {@code
 * courier-gateway} with port 8080 named http, {@code COURIER_GATEWAY_SERVICE_HOST}, {@code
 * COURIER_GATEWAY_SERVICE_PORT}, {@code COURIER_GATEWAY_SERVICE_PORT_HTTP}, and the Docker-link
 * ones: {@code COURIER_GATEWAY_PORT=tcp://10.96.0.10:8080}, {@code COURIER_GATEWAY_PORT_8080_TCP}
 * and its {@code _PROTO}, {@code _PORT} and {@code _ADDR}. Services named {@code courier-*} give
 * names that start like Courier's own variables, and some are the names of real keys ({@code
 * COURIER_GATEWAY_PORT} is {@code gateway.port}): the loader passes over these shapes instead of
 * refusing them, so a pod started with service links still starts.
 */
public final class ServiceLinks {

  /** Names that only service links have; no configuration key ends like this. */
  private static final Pattern NAME =
      Pattern.compile(
          "[A-Z0-9_]+_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?"
              + "|PORT_[0-9]{1,5}_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?)");

  /** The value of {@code <NAME>_PORT} and {@code <NAME>_PORT_<port>_<PROTO>}. */
  private static final Pattern LINK_VALUE = Pattern.compile("(tcp|udp|sctp)://[^\\s/]+:[0-9]{1,5}");

  private ServiceLinks() {}

  /**
   * Whether an environment variable is a kubelet's service link rather than a setting: a name only
   * service links have (whatever its value), or a name ending in {@code _PORT} holding a link value
   * such as {@code tcp://10.96.0.10:8080}, which no port setting can hold.
   */
  public static boolean isServiceLink(String name, String value) {
    if (NAME.matcher(name).matches()) {
      return true;
    }
    return name.endsWith("_PORT") && value != null && LINK_VALUE.matcher(value.trim()).matches();
  }
}
