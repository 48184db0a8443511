/**
 * Courier's configuration: JSON files in {@code conf/}, overridable by {@code COURIER_*}
 * environment variables and {@code courier.*} system properties, parsed once at start into
 * immutable records. Every error names the key and where its value came from.
 */
package io.courier.runtime.config;
