/**
 * The user service: the users the order flow checks, seeded from a JSON file in {@code conf/} and
 * served over gRPC ({@code courier.v1.UserService}), found by peers through discovery.
 */
package io.courier.user;
