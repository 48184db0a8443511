package io.courier.notification;

import io.courier.runtime.config.ConfigChecks;
import io.courier.runtime.config.ConfigSection;

/**
 * The notification service: the {@code services.notification} section.
 *
 * @param webhookUrl URL each notification is also POSTed to; empty for log only
 */
public record NotificationServiceConfig(String webhookUrl) {

  public static final NotificationServiceConfig DEFAULTS = new NotificationServiceConfig("");

  public static final ConfigSection<NotificationServiceConfig> SECTION =
      ConfigSection.of("services.notification", NotificationServiceConfig.class, DEFAULTS);

  public NotificationServiceConfig {
    new ConfigChecks().url("webhookUrl", webhookUrl).orThrow();
  }
}
