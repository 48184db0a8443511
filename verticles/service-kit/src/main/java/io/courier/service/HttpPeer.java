package io.courier.service;

import io.courier.discovery.ServiceInstance;
import io.courier.resilience.Deadline;
import io.courier.resilience.HttpStatusException;
import io.courier.resilience.ResilientHttpCalls;
import io.courier.resilience.TargetPolicy;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A service reached over HTTP by name (vertx-web-client): each attempt goes to an instance {@link
 * PeerInstances} picks (discovery watch, load balancing with outlier ejection, per-instance
 * breakers), and the whole call runs under the target's resilience policy with the attempt's
 * deadline as the request timeout and in {@link Deadline#HEADER}. A connection failure or a 502,
 * 503 or 504 counts against the instance; other statuses are the callee's answer.
 */
public final class HttpPeer {

  private final TargetPolicy policy;
  private final WebClient client;
  private final PeerInstances peers;

  /** Made by {@link Policies#httpPeer}. */
  HttpPeer(PeerInstances peers, TargetPolicy policy, WebClient client) {
    this.policy = policy;
    this.client = client;
    this.peers = peers;
  }

  public TargetPolicy policy() {
    return policy;
  }

  /**
   * Sends {@code method path} (with {@code body}, may be null) within the caller's deadline; {@code
   * decorate} adds headers to each attempt's request. Fails with {@link HttpStatusException} for a
   * status of 400 or more once the policy gives up.
   */
  public Future<HttpResponse<Buffer>> send(
      Deadline deadline,
      HttpMethod method,
      String path,
      UnaryOperator<HttpRequest<Buffer>> decorate,
      Buffer body) {
    PeerInstances.Call call =
        new PeerInstances.Call(
            RequestedVersion.current().orElse(null),
            CallerIdentity.current().map(CallerIdentity::subject).orElse(null));
    return peers
        .route(call)
        .compose(
            routed ->
                policy.call(
                    deadline,
                    attempt ->
                        peers.attempt(
                            instance ->
                                ResilientHttpCalls.attempt(
                                    decorate.apply(
                                        client.request(
                                            method, instance.port(), instance.host(), path)),
                                    attempt.deadline(),
                                    body),
                            HttpPeer::instanceFault,
                            call)));
  }

  /** Whether the instance itself failed, rather than answering. */
  private static boolean instanceFault(Throwable error) {
    return !(error instanceof HttpStatusException status)
        || status.status() == 502
        || status.status() == 503
        || status.status() == 504;
  }

  /** The instances calls go to now. */
  List<ServiceInstance> known() {
    return peers.known();
  }

  /** Per-instance breaker states by address (empty when they are off). */
  Map<String, CircuitBreakerState> breakerStates() {
    return peers.breakerStates();
  }
}
