package io.courier.user;

import io.courier.resilience.ResilienceConfig;
import io.courier.runtime.Role;
import io.courier.runtime.RoleContext;
import io.courier.runtime.RoleDeployment;
import io.courier.runtime.config.ConfigSection;
import java.util.List;
import java.util.Set;

/** The {@code user-service} role: one {@link UserGrpcVerticle}. */
public final class UserServiceRole implements Role {

  public static final String NAME = "user-service";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<ConfigSection<?>> configSections() {
    return List.of(UserServiceConfig.SECTION, ResilienceConfig.SECTION);
  }

  @Override
  public Set<String> faultPoints() {
    return Set.of(DefaultUserService.FAULT_POINT);
  }

  @Override
  public List<RoleDeployment> deployments(RoleContext context) {
    return List.of(RoleDeployment.of("user-grpc", () -> new UserGrpcVerticle(context), 1));
  }
}
