/**
 * The notification service: consumes order outcomes (confirmed, cancelled), tells the user (a log
 * line, and a webhook when one is configured) and records each notification on the {@code
 * courier.notifications} topic, once per order outcome.
 */
package io.courier.notification;
