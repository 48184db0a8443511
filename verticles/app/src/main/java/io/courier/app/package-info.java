/**
 * The {@code courier} command: the fat JAR's entry point. {@code courier run} starts the roles
 * named in the configuration; {@code courier config} checks a configuration and lists the
 * environment variables that override it; {@code courier roles} lists the roles of this build.
 */
package io.courier.app;
