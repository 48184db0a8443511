/**
 * Finding peers by name. {@link io.courier.discovery.Discovery} registers, deregisters and resolves
 * {@link io.courier.discovery.ServiceInstance}s; {@link io.courier.discovery.EmbeddedDiscovery}
 * keeps them in Vert.x service discovery's registry (cluster-wide when Vert.x is clustered). {@link
 * io.courier.discovery.LoadBalancer} spreads calls over the resolved instances and ejects the ones
 * that keep failing.
 */
package io.courier.discovery;
