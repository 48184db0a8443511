/**
 * Mutual TLS between Courier processes: the identity each process presents (a certificate naming
 * {@code spiffe://courier/<role>}), the options that make gRPC servers, gRPC clients and the
 * clustered event bus require it, and a development CA that issues such certificates.
 */
package io.courier.runtime.security;
